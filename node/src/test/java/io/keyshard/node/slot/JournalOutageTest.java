package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.Slots;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import io.keyshard.node.testing.Recovering;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The journal's PostgreSQL stops under write load and comes back, while the node keeps running
 * (docs/decisions/2026-11-22-journal-faults.md): writes fail within a bound with the journal's
 * errors (TRYAGAIN: certainly not written; ERR ...may or may not...: unknown), slots whose
 * journal writes did not fail keep answering reads, and once PostgreSQL is back on the same data
 * directory every acknowledged write is there, no TRYAGAIN-refused write is, and writes succeed.
 */
@Timeout(150)
class JournalOutageTest {
  private static final int WRITERS = 4;
  /** The writers' keys live in these slots only, so the other slots see no failed write. */
  private static final int TAGS = 16;

  private record Outcome(String key, long at, String error) {}

  @Test
  void writesFailFastDuringAnOutageAndNothingAcknowledgedIsLost() throws Exception {
    Path data = Files.createTempDirectory("keyshard-pgdata");
    int pgPort = freePort();
    EmbeddedPostgres postgres = startPostgres(data, pgPort);
    Map<String, Object> settings = new HashMap<>();
    settings.put("keyshard.postgres.url", postgres.getJdbcUrl("postgres", "postgres"));
    settings.put("keyshard.postgres.user", "postgres");
    settings.put("keyshard.postgres.password", "");
    TestNode node = TestNode.start(Files.createTempDirectory("keyshard-outage"), settings);
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> writers = new ArrayList<>();
    try {
      Set<Integer> writerSlots = new HashSet<>();
      for (int t = 0; t < TAGS; t++) {
        writerSlots.add(Slots.slot(("{w" + t + "}").getBytes(StandardCharsets.UTF_8)));
      }
      // Keys written (and so recovered) before the outage, in slots the writers never touch.
      Map<String, String> before = new HashMap<>();
      try (Jedis j = new Jedis("127.0.0.1", node.port())) {
        for (int i = 0; before.size() < 200; i++) {
          String key = "pre:" + i;
          if (!writerSlots.contains(Slots.slot(key.getBytes(StandardCharsets.UTF_8)))) {
            j.set(key, "v" + i);
            before.put(key, "v" + i);
          }
        }
      }

      ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
      AtomicLong longestCallMs = new AtomicLong();
      for (int w = 0; w < WRITERS; w++) {
        int id = w;
        Thread t =
            new Thread(
                () -> {
                  try (Jedis j = new Jedis("127.0.0.1", node.port(), 60_000)) {
                    for (long n = 0; !stop.get(); n++) {
                      String key = "{w" + (n % TAGS) + "}" + id + ":" + n;
                      long start = System.currentTimeMillis();
                      String error = null;
                      try {
                        j.set(key, key);
                      } catch (JedisDataException e) {
                        error = String.valueOf(e.getMessage());
                      }
                      long end = System.currentTimeMillis();
                      longestCallMs.accumulateAndGet(end - start, Math::max);
                      outcomes.add(new Outcome(key, end, error));
                      if (error != null) {
                        Thread.sleep(5);
                      }
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "writer-" + w);
        t.start();
        writers.add(t);
      }
      waitFor(() -> outcomes.size() > 500, 30_000, "the writers get going");

      long stoppedAt = System.currentTimeMillis();
      postgres.close();
      long firstError = waitForOutcome(outcomes, stoppedAt, false, 30_000);
      Thread.sleep(2_000); // the outage goes on under load

      // Slots whose writes never failed still serve reads from memory.
      try (Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
        for (Map.Entry<String, String> e : before.entrySet()) {
          assertEquals(e.getValue(), j.get(e.getKey()), "read of " + e.getKey() + " during the outage");
        }
        // A write to a new slot fails within the bound: refused before it reaches the journal,
        // or, if it is the probe, by the journal or by the request timeout (its slot must first
        // register in the index, whose journal is down too).
        long start = System.currentTimeMillis();
        String error = null;
        try {
          j.set("during-outage", "x");
        } catch (JedisDataException e) {
          error = e.getMessage();
        }
        assertTrue(
            error != null
                && (error.startsWith("TRYAGAIN")
                    || error.startsWith("ERR journal write failed")
                    || error.startsWith("ERR slot did not answer in time; the write may or may not")),
            "a write during the outage: " + error);
        assertTrue(System.currentTimeMillis() - start < 15_000, "fails within the bound, no hang");
      }

      long backAt = System.currentTimeMillis();
      postgres = startPostgres(data, pgPort);
      long readyAt = System.currentTimeMillis();
      long firstSuccess = waitForOutcome(outcomes, backAt, true, 60_000);
      Thread.sleep(500);
      stop.set(true);
      for (Thread t : writers) {
        t.join(70_000);
      }

      // Every error of the outage was one of the journal's two, each write answered in a bound.
      Map<String, Integer> kinds = new TreeMap<>();
      List<String> acked = new ArrayList<>();
      List<String> refused = new ArrayList<>();
      for (Outcome o : outcomes) {
        if (o.error() == null) {
          acked.add(o.key());
          continue;
        }
        kinds.merge(o.error(), 1, Integer::sum);
        if (o.error().startsWith("TRYAGAIN")) {
          refused.add(o.key());
        } else {
          // Unknown outcomes: the journal failed the write, or it timed out on its way there.
          assertTrue(
              o.error().startsWith("ERR journal write failed")
                  || o.error().startsWith("ERR slot did not answer in time; the write may or may not"),
              "unexpected error: " + o.error());
        }
      }
      assertTrue(longestCallMs.get() < 30_000, "no write hung: longest " + longestCallMs + " ms");

      try (Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
        for (String key : acked) {
          assertEquals(key, Recovering.get(j, key), "acknowledged " + key);
        }
        for (String key : refused) {
          assertNull(Recovering.get(j, key), "TRYAGAIN promised " + key + " was not written");
        }
        for (Map.Entry<String, String> e : before.entrySet()) {
          assertEquals(e.getValue(), Recovering.get(j, e.getKey()));
        }
        assertEquals("OK", j.set("after-outage", "y"));
        assertEquals("y", j.get("after-outage"));
      }
      System.out.printf(
          "journal outage: first error %d ms after PostgreSQL stopped, first acknowledged write"
              + " %d ms after its restart began (%d ms after it accepted connections);"
              + " %d acknowledged, errors %s, longest call %d ms%n",
          firstError - stoppedAt, firstSuccess - backAt, Math.max(0, firstSuccess - readyAt),
          acked.size(), kinds, longestCallMs.get());
    } finally {
      stop.set(true);
      for (Thread t : writers) {
        t.join(70_000);
      }
      node.close();
      postgres.close();
    }
  }

  private static EmbeddedPostgres startPostgres(Path data, int port) throws Exception {
    return EmbeddedPostgres.builder()
        .setDataDirectory(data)
        .setCleanDataDirectory(false)
        .setPort(port)
        .start();
  }

  /** When the first outcome after {@code since} that is a success (or an error) came. */
  private static long waitForOutcome(
      ConcurrentLinkedQueue<Outcome> outcomes, long since, boolean success, long patienceMs)
      throws InterruptedException {
    long until = System.currentTimeMillis() + patienceMs;
    while (System.currentTimeMillis() < until) {
      for (Outcome o : outcomes) {
        if (o.at() >= since && (o.error() == null) == success) {
          return o.at();
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError(
        "no " + (success ? "acknowledged write" : "error") + " within " + patienceMs + " ms");
  }

  private static void waitFor(BooleanSupplier check, long ms, String what)
      throws InterruptedException {
    long until = System.currentTimeMillis() + ms;
    while (!check.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < until, what);
      Thread.sleep(20);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
