package io.keyshard.node.tx;

import static io.keyshard.node.tx.TxTesting.jedis;
import static io.keyshard.node.tx.TxTesting.keysInDistinctSlots;
import static io.keyshard.node.tx.TxTesting.runAll;
import static io.keyshard.node.tx.TxTesting.slot;
import static io.keyshard.node.tx.TxTesting.tagsInDistinctSlots;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;

/**
 * Atomicity and isolation of multi-slot work, through Jedis against one in-process node: no
 * reader ever sees half of a cross-slot MSET or of a MULTI/EXEC, concurrent transactions over
 * overlapping slots all finish (the ascending lock order leaves no cycle) and leave exactly the
 * state their replies promised, and cross-slot RENAME, RENAMENX, COPY and MSETNX keep Redis's
 * semantics (expiry included).
 *
 * <p>The concurrent tests stop after a bounded number of iterations or a few seconds, whichever
 * comes first, and assert only on what was observed, never on how fast.
 */
class TransactionsIsolationTest {
  private static final long RUN_MILLIS = 5_000;

  private static TestNode node;
  private Jedis jedis;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  @BeforeEach
  void open() {
    jedis = jedis(node.port());
    jedis.flushAll();
  }

  @AfterEach
  void close() {
    jedis.close();
  }

  // ---- isolation under concurrency ----

  @Test
  void mgetNeverSeesHalfOfACrossSlotMset() throws Exception {
    List<String> keys = keysInDistinctSlots("iso", 10);
    jedis.mset(interleave(keys, "init"));
    AtomicLong msets = new AtomicLong();
    AtomicLong mgets = new AtomicLong();
    ConcurrentLinkedQueue<String> torn = new ConcurrentLinkedQueue<>();
    long deadline = System.currentTimeMillis() + RUN_MILLIS;
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      int id = w;
      tasks.add(
          () -> {
            try (Jedis c = jedis(node.port())) {
              for (int i = 0; i < 2_000 && System.currentTimeMillis() < deadline; i++) {
                List<String> order = new ArrayList<>(keys);
                Collections.shuffle(order);
                assertEquals("OK", c.mset(interleave(order, "w" + id + ":" + i)));
                msets.incrementAndGet();
              }
            }
            return null;
          });
    }
    for (int r = 0; r < 4; r++) {
      tasks.add(
          () -> {
            try (Jedis c = jedis(node.port())) {
              for (int i = 0; i < 4_000 && System.currentTimeMillis() < deadline; i++) {
                List<String> values = c.mget(keys.toArray(new String[0]));
                if (new HashSet<>(values).size() != 1) {
                  torn.add(values.toString());
                }
                mgets.incrementAndGet();
              }
            }
            return null;
          });
    }
    runAll(tasks, 120);
    assertTrue(torn.isEmpty(), "MGET saw a partial MSET: " + torn.stream().limit(5).toList());
    assertTrue(msets.get() > 0, "no MSET completed");
    assertTrue(mgets.get() > 0, "no MGET completed");
  }

  @Test
  void readersNeverSeeHalfOfAMultiExecAndCountersMatchTheExecs() throws Exception {
    List<String> keys = keysInDistinctSlots("ctr", 5);
    jedis.mset(interleave(keys, "0"));
    AtomicLong execs = new AtomicLong();
    AtomicLong reads = new AtomicLong();
    ConcurrentLinkedQueue<String> torn = new ConcurrentLinkedQueue<>();
    long deadline = System.currentTimeMillis() + RUN_MILLIS;
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      tasks.add(
          () -> {
            try (Jedis c = jedis(node.port())) {
              for (int i = 0; i < 1_000 && System.currentTimeMillis() < deadline; i++) {
                Transaction t = c.multi();
                for (String k : keys) {
                  t.incr(k);
                }
                List<Object> replies = t.exec();
                assertNotNull(replies, "EXEC without WATCH must not abort");
                // Nobody can interleave: the five INCRs of one EXEC see five equal counters.
                if (new HashSet<>(replies).size() != 1) {
                  torn.add("EXEC " + replies);
                }
                execs.incrementAndGet();
              }
            }
            return null;
          });
    }
    for (int r = 0; r < 4; r++) {
      boolean viaMulti = r % 2 == 1;
      tasks.add(
          () -> {
            try (Jedis c = jedis(node.port())) {
              for (int i = 0; i < 2_000 && System.currentTimeMillis() < deadline; i++) {
                List<?> values;
                if (viaMulti) {
                  Transaction t = c.multi();
                  for (String k : keys) {
                    t.get(k);
                  }
                  values = t.exec();
                } else {
                  values = c.mget(keys.toArray(new String[0]));
                }
                if (values == null || values.size() != 5 || new HashSet<>(values).size() != 1) {
                  torn.add((viaMulti ? "MULTI GET " : "MGET ") + values);
                }
                reads.incrementAndGet();
              }
            }
            return null;
          });
    }
    runAll(tasks, 120);
    assertTrue(torn.isEmpty(), "a read saw a partial transaction: " + torn.stream().limit(5).toList());
    assertTrue(execs.get() > 0, "no EXEC completed");
    assertTrue(reads.get() > 0, "no read completed");
    for (String k : keys) {
      assertEquals(Long.toString(execs.get()), jedis.get(k), "counter " + k);
    }
  }

  /**
   * Eight clients run transactions over random, overlapping subsets of six slots, naming the
   * keys in random order. Every transaction must finish and answer exactly; afterwards the
   * shared counters equal the INCRs that were acknowledged, and each client's own keys (which
   * only it touches) are exactly what its replies said.
   */
  @Test
  void overlappingTransactionsAllFinishAndLeaveAConsistentState() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), this::runOverlappingTransactions);
  }

  private void runOverlappingTransactions() throws Exception {
    int positions = 6;
    List<String> tags = tagsInDistinctSlots("dl", positions);
    AtomicLongArray increments = new AtomicLongArray(positions);
    List<Callable<Client>> tasks = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Client client = new Client(t, tags, increments, new Random(1000 + t));
      tasks.add(
          () -> {
            try (Jedis c = jedis(node.port())) {
              client.setUp(c);
              for (int i = 0; i < 200; i++) {
                client.step(c, i);
              }
            }
            return client;
          });
    }
    List<Client> clients = runAll(tasks, 120);
    for (int p = 0; p < positions; p++) {
      String counter = jedis.get(tags.get(p) + "c");
      assertEquals(
          increments.get(p), counter == null ? 0 : Long.parseLong(counter), "counter " + tags.get(p));
    }
    for (Client c : clients) {
      c.verify(jedis);
    }
  }

  /** One client of the overlapping-transactions test and what it expects to find. */
  private static final class Client {
    final int id;
    final List<String> tags;
    final AtomicLongArray increments;
    final Random rnd;
    /** Position of this client's token and how many times it moved (the token's value). */
    int tokenAt;
    long moves;
    /** This client's own keys: position -> value, absent when deleted. */
    final Map<Integer, String> own = new HashMap<>();

    Client(int id, List<String> tags, AtomicLongArray increments, Random rnd) {
      this.id = id;
      this.tags = tags;
      this.increments = increments;
      this.rnd = rnd;
    }

    String counter(int p) {
      return tags.get(p) + "c";
    }

    String token(int p) {
      return tags.get(p) + "tok:" + id;
    }

    String own(int p) {
      return tags.get(p) + "own:" + id;
    }

    void setUp(Jedis c) {
      assertEquals("OK", c.set(token(0), "0"));
    }

    /** A random non-empty subset of positions, in random order. */
    List<Integer> subset(int min) {
      List<Integer> all = new ArrayList<>();
      for (int p = 0; p < tags.size(); p++) {
        all.add(p);
      }
      Collections.shuffle(all, rnd);
      return new ArrayList<>(all.subList(0, min + rnd.nextInt(tags.size() - min + 1)));
    }

    int otherThan(int p) {
      int q = rnd.nextInt(tags.size() - 1);
      return q >= p ? q + 1 : q;
    }

    void step(Jedis c, int i) {
      switch (rnd.nextInt(5)) {
        case 0, 1 -> multiMix(c, i);
        case 2 -> crossSlotMset(c, i);
        case 3 -> crossSlotDel(c);
        default -> crossSlotRename(c);
      }
    }

    /** MULTI with INCRs, SETs, a token RENAME (plus INCR of the moved token), MSET and DEL. */
    void multiMix(Jedis c, int i) {
      List<Integer> ps = subset(1);
      List<Runnable> onSuccess = new ArrayList<>();
      List<Object> expected = new ArrayList<>();
      Transaction t = c.multi();
      Map<Integer, String> ownAfter = new HashMap<>(own);
      for (int p : ps) {
        t.incr(counter(p));
        expected.add(null); // the counter's value depends on the other clients
        onSuccess.add(() -> increments.incrementAndGet(p));
        switch (rnd.nextInt(4)) {
          case 0 -> {
            String v = "s" + i + ":" + p;
            t.set(own(p), v);
            expected.add("OK");
            ownAfter.put(p, v);
          }
          case 1 -> {
            t.del(own(p));
            expected.add(ownAfter.remove(p) != null ? 1L : 0L);
          }
          default -> {}
        }
      }
      if (rnd.nextBoolean()) {
        int to = otherThan(tokenAt);
        t.rename(token(tokenAt), token(to));
        expected.add("OK");
        t.incr(token(to));
        expected.add(moves + 1);
        tokenAt = to;
        moves++;
      }
      if (rnd.nextBoolean()) {
        List<Integer> ms = subset(2);
        String v = "ms" + i;
        List<String> args = new ArrayList<>();
        for (int p : ms) {
          args.add(own(p));
          args.add(v);
          ownAfter.put(p, v);
        }
        t.mset(args.toArray(new String[0]));
        expected.add("OK");
      }
      List<Object> replies = t.exec();
      assertNotNull(replies, "EXEC without WATCH must not abort");
      assertEquals(expected.size(), replies.size(), "replies " + replies);
      for (int k = 0; k < expected.size(); k++) {
        if (expected.get(k) == null) {
          assertTrue(replies.get(k) instanceof Long, "INCR reply " + replies);
        } else {
          assertEquals(expected.get(k), replies.get(k), "reply " + k + " of " + replies);
        }
      }
      onSuccess.forEach(Runnable::run);
      own.clear();
      own.putAll(ownAfter);
    }

    void crossSlotMset(Jedis c, int i) {
      List<Integer> ps = subset(2);
      String v = "m" + i;
      List<String> args = new ArrayList<>();
      for (int p : ps) {
        args.add(own(p));
        args.add(v);
      }
      assertEquals("OK", c.mset(args.toArray(new String[0])));
      ps.forEach(p -> own.put(p, v));
    }

    void crossSlotDel(Jedis c) {
      List<Integer> ps = subset(2);
      long present = ps.stream().filter(own::containsKey).count();
      assertEquals(present, c.del(ps.stream().map(this::own).toArray(String[]::new)));
      ps.forEach(own::remove);
    }

    void crossSlotRename(Jedis c) {
      int to = otherThan(tokenAt);
      assertEquals("OK", c.rename(token(tokenAt), token(to)));
      tokenAt = to;
    }

    void verify(Jedis c) {
      for (int p = 0; p < tags.size(); p++) {
        assertEquals(own.get(p), c.get(own(p)), "client " + id + " key " + own(p));
        assertEquals(
            p == tokenAt ? Long.toString(moves) : null,
            c.get(token(p)),
            "client " + id + " token at " + token(p) + " (expected at " + token(tokenAt) + ")");
      }
    }
  }

  /**
   * EXEC with DBSIZE locks every slot that held keys when EXEC began. A client that creates a
   * key in a new slot and then writes a key the EXEC reads must find both writes in the EXEC's
   * view or neither: DBSIZE must count every key written before the value GET returns.
   */
  @Test
  void keyspaceWideCommandsInsideExecSeeEveryEarlierWrite() throws Exception {
    long deadline = System.currentTimeMillis() + 4_000;
    AtomicLong checks = new AtomicLong();
    ConcurrentLinkedQueue<String> anomalies = new ConcurrentLinkedQueue<>();
    Callable<Void> writer =
        () -> {
          try (Jedis c = jedis(node.port())) {
            for (int i = 0; i < 5_000 && System.currentTimeMillis() < deadline; i++) {
              c.set("ks:k" + i, "1"); // most land in a slot that was empty
              c.set("ks:a", Integer.toString(i));
            }
          }
          return null;
        };
    Callable<Void> reader =
        () -> {
          try (Jedis c = jedis(node.port())) {
            while (System.currentTimeMillis() < deadline) {
              Transaction t = c.multi();
              t.get("ks:a");
              t.sendCommand(Protocol.Command.DBSIZE, new String[0]);
              List<Object> r = t.exec();
              if (r.get(0) == null) {
                continue;
              }
              long a = Long.parseLong((String) r.get(0));
              long size = (Long) r.get(1);
              // ks:k0 .. ks:k<a> and ks:a were all written before ks:a got the value a.
              if (size < a + 2) {
                anomalies.add("GET ks:a = " + a + " but DBSIZE = " + size);
              }
              checks.incrementAndGet();
            }
          }
          return null;
        };
    runAll(List.of(writer, reader), 120);
    assertTrue(checks.get() > 0, "no EXEC saw a write");
    assertTrue(
        anomalies.isEmpty(),
        anomalies.size() + " of " + checks + " EXECs missed earlier writes: "
            + anomalies.stream().limit(5).toList());
  }

  /**
   * Redis runs a connection's pipelined commands in order: a read sent right behind a
   * cross-slot write or an EXEC, without waiting for its reply, must see that write. The read
   * is of the key in the highest slot, which a transaction locks last.
   */
  @Test
  void aPipelinedCommandAfterAMultiSlotWriteSeesIt() throws Exception {
    List<String> keys = new ArrayList<>(keysInDistinctSlots("pl", 10));
    keys.sort(Comparator.comparingInt(TxTesting::slot));
    String last = keys.get(keys.size() - 1);
    int staleMset = 0;
    int staleDel = 0;
    int staleExec = 0;
    try (RawClient c = new RawClient(node.port())) {
      for (int i = 0; i < 50; i++) {
        String v = Integer.toString(i);
        List<String> mset = new ArrayList<>(List.of("MSET"));
        List<String> del = new ArrayList<>(List.of("DEL"));
        List<List<String>> multi = new ArrayList<>(List.of(List.of("MULTI")));
        for (String k : keys) {
          mset.addAll(List.of(k, v));
          del.add(k);
          multi.add(List.of("SET", k, v + "x"));
        }
        multi.add(List.of("EXEC"));
        multi.add(List.of("GET", last));
        // Each group goes out in one write, so the server reads the commands together.
        c.sendRaw(resp(List.of(mset, List.of("GET", last))));
        assertEquals("+OK", c.readReply());
        if (!c.readReply().equals("\"" + v + "\"")) {
          staleMset++;
        }
        c.sendRaw(resp(List.of(del, List.of("EXISTS", last))));
        assertEquals(":10", c.readReply());
        if (!c.readReply().equals(":0")) {
          staleDel++;
        }
        c.sendRaw(resp(multi));
        for (int k = 0; k < keys.size() + 2; k++) {
          c.readReply();
        }
        if (!c.readReply().equals("\"" + v + "x\"")) {
          staleExec++;
        }
      }
    }
    assertEquals(
        "MSET 0, DEL 0, EXEC 0",
        "MSET " + staleMset + ", DEL " + staleDel + ", EXEC " + staleExec,
        "pipelined reads (of 50 each) that missed the write sent before them");
  }

  private static byte[] resp(List<List<String>> commands) {
    StringBuilder b = new StringBuilder();
    for (List<String> argv : commands) {
      b.append('*').append(argv.size()).append("\r\n");
      for (String a : argv) {
        b.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
      }
    }
    return b.toString().getBytes(StandardCharsets.US_ASCII);
  }

  // ---- cross-slot RENAME, RENAMENX, COPY, MSETNX ----

  @Test
  void renameAcrossSlotsMovesTheValueAndItsExpiry() {
    String from = "rn:a";
    String to = "rn:b";
    assertNotEquals(slot(from), slot(to));
    jedis.set(from, "v", SetParams.setParams().px(100_000));
    assertEquals("OK", jedis.rename(from, to));
    assertEquals("v", jedis.get(to));
    assertFalse(jedis.exists(from));
    long pttl = jedis.pttl(to);
    assertTrue(pttl > 0 && pttl <= 100_000, "expiry carried over, got PTTL " + pttl);

    // Renaming a persistent key over a volatile one leaves no expiry behind.
    jedis.set(from, "w");
    assertEquals("OK", jedis.rename(from, to));
    assertEquals("w", jedis.get(to));
    assertEquals(-1L, jedis.pttl(to));

    // An expired source is a missing source.
    jedis.set(from, "x", SetParams.setParams().px(1));
    sleep(20);
    JedisDataException e = assertThrows(JedisDataException.class, () -> jedis.rename(from, to));
    assertEquals("ERR no such key", e.getMessage());
    assertEquals("w", jedis.get(to));
    e = assertThrows(JedisDataException.class, () -> jedis.rename("rn:missing", to));
    assertEquals("ERR no such key", e.getMessage());
  }

  @Test
  void renamenxAcrossSlotsOntoAnExistingKeyLeavesBoth() {
    String from = "rnx:a";
    String to = "rnx:b";
    assertNotEquals(slot(from), slot(to));
    jedis.set(from, "src", SetParams.setParams().px(100_000));
    jedis.set(to, "dst");
    assertEquals(0L, jedis.renamenx(from, to));
    assertEquals("src", jedis.get(from));
    assertEquals("dst", jedis.get(to));
    assertEquals(-1L, jedis.pttl(to));
    assertTrue(jedis.pttl(from) > 0);

    jedis.del(to);
    assertEquals(1L, jedis.renamenx(from, to));
    assertNull(jedis.get(from));
    assertEquals("src", jedis.get(to));
    assertTrue(jedis.pttl(to) > 0, "RENAMENX carries the expiry too");

    JedisDataException e =
        assertThrows(JedisDataException.class, () -> jedis.renamenx("rnx:missing", to));
    assertEquals("ERR no such key", e.getMessage());
  }

  @Test
  void copyAcrossSlotsHonoursReplaceAndDb() {
    String from = "cp:a";
    String to = "cp:b";
    assertNotEquals(slot(from), slot(to));
    jedis.set(from, "v1", SetParams.setParams().px(100_000));
    jedis.set(to, "old");

    assertFalse(jedis.copy(from, to, false), "COPY without REPLACE onto an existing key");
    assertEquals("old", jedis.get(to));
    assertTrue(jedis.copy(from, to, true), "COPY REPLACE");
    assertEquals("v1", jedis.get(to));
    assertEquals("v1", jedis.get(from), "the source stays");
    long pttl = jedis.pttl(to);
    assertTrue(pttl > 0 && pttl <= 100_000, "expiry copied, got PTTL " + pttl);

    assertTrue(jedis.copy(from, to, 3, false), "COPY DB 3 to a key in another slot");
    assertFalse(jedis.copy(from, to, 3, false), "the copy exists now");
    jedis.set(from, "v2");
    assertTrue(jedis.copy(from, to, 3, true));
    assertEquals("v1", jedis.get(to), "db 0 untouched by COPY DB 3");
    jedis.select(3);
    assertEquals("v2", jedis.get(to));
    assertEquals(-1L, jedis.pttl(to), "REPLACE also replaces the expiry");
    assertNull(jedis.get(from));
    jedis.select(0);

    assertFalse(jedis.copy("cp:missing", to, true));
    assertEquals("v1", jedis.get(to));
    JedisDataException e =
        assertThrows(JedisDataException.class, () -> jedis.copy(from, to, 16, true));
    assertEquals("ERR DB index is out of range", e.getMessage());
  }

  @Test
  void msetnxAcrossSlotsIsAllOrNothing() {
    List<String> keys = keysInDistinctSlots("nx", 4);
    jedis.set(keys.get(3), "there");
    assertEquals(0L, jedis.msetnx(interleave(keys, "new")));
    for (int i = 0; i < 3; i++) {
      assertFalse(jedis.exists(keys.get(i)), "MSETNX set " + keys.get(i) + " although it failed");
    }
    assertEquals("there", jedis.get(keys.get(3)));

    jedis.del(keys.get(3));
    assertEquals(1L, jedis.msetnx(interleave(keys, "new")));
    assertEquals(List.of("new", "new", "new", "new"), jedis.mget(keys.toArray(new String[0])));

    // An expired key counts as missing.
    String fresh = "nx:fresh";
    jedis.set(fresh, "gone", SetParams.setParams().px(1));
    sleep(20);
    assertEquals(1L, jedis.msetnx(fresh, "1", "nx:other", "2"));
    assertEquals(List.of("1", "2"), jedis.mget(fresh, "nx:other"));
  }

  @Test
  void crossSlotMsetnxRaceHasOneWinner() throws Exception {
    List<String> keys = keysInDistinctSlots("race", 6);
    for (int round = 0; round < 20; round++) {
      jedis.del(keys.toArray(new String[0]));
      List<Callable<Long>> tasks = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        String v = "c" + c;
        List<String> order = new ArrayList<>(keys);
        Collections.shuffle(order, new Random(round * 10L + c));
        tasks.add(
            () -> {
              try (Jedis j = jedis(node.port())) {
                return j.msetnx(interleave(order, v));
              }
            });
      }
      List<Long> results = runAll(tasks, 60);
      assertEquals(1L, results.stream().filter(r -> r == 1L).count(), "one winner " + results);
      List<String> values = jedis.mget(keys.toArray(new String[0]));
      assertEquals(1, new HashSet<>(values).size(), "all keys from the winner: " + values);
    }
  }

  private static String[] interleave(List<String> keys, String value) {
    String[] out = new String[keys.size() * 2];
    for (int i = 0; i < keys.size(); i++) {
      out[2 * i] = keys.get(i);
      out[2 * i + 1] = value;
    }
    return out;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
