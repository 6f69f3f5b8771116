package io.keyshard.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.keyshard.node.journal.JdbcEngine;
import io.keyshard.node.journal.JournalFence;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * The PostgreSQL journal's write path alone, the plugin's DefaultJournalDao against
 * PostgresJournalDao in alternating rounds on one embedded PostgreSQL (synchronous_commit and
 * fsync on): W writers, each with one persistAll of B events in flight at a time, as a slot
 * persists (bench/compare.sh --cluster sends every key of a node to one slot: W = 3 nodes).
 * Alternating rounds in one process keep a shared, loaded machine's drift out of the ratio.
 *
 * <p>Not a test. Run: java -cp node/target/test-classes:node/target/classes:CLASSPATH
 * io.keyshard.node.PostgresJournalBench [seconds-per-round] [rounds] [W:B ...]
 */
public final class PostgresJournalBench {
  private static final String DEFAULT_DAO = "org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao";

  /** Persists B events per "write" and answers when all are stored. */
  static final class Writer extends AbstractPersistentActor {
    private final String id;
    private final int batch;

    Writer(String id, int batch) {
      this.id = id;
      this.batch = batch;
    }

    @Override
    public String persistenceId() {
      return id;
    }

    @Override
    public Receive createReceiveRecover() {
      return receiveBuilder().matchAny(m -> {}).build();
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .matchEquals("write", m -> {
            List<String> events = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
              events.add("SET key:{abc}:0000012345 xxx " + i);
            }
            ActorRef replyTo = getSender();
            persistAll(events, e -> {
              if (lastSequenceNr() % batch == 0) {
                replyTo.tell("ok", getSelf());
              }
            });
          })
          .build();
    }

    @Override
    public void onPersistFailure(Throwable cause, Object event, long seqNr) {
      getSender().tell("failed", getSelf()); // the actor stops: its thread ends the round
      super.onPersistFailure(cause, event, seqNr);
    }
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    List<String> shapes = args.length > 2 ? Arrays.asList(args).subList(2, args.length) : List.of("3:16", "48:1");
    try (EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setServerConfig("synchronous_commit", "on")
            .setServerConfig("fsync", "on")
            .start()) {
      Config base =
          JournalConfig.derive(
              ConfigFactory.parseMap(
                      Map.of(
                          "keyshard.postgres.url", pg.getJdbcUrl("postgres", "postgres"),
                          "keyshard.postgres.user", "postgres",
                          "keyshard.postgres.password", "",
                          "pekko.actor.provider", "local",
                          "pekko.loglevel", "WARNING"))
                  .withFallback(ConfigFactory.load()),
              Files.createTempDirectory("keyshard-pgbench"));
      ActorSystem plugin =
          ActorSystem.create("plugin", base.withValue("jdbc-journal.dao", ConfigValueFactory.fromAnyRef(DEFAULT_DAO)));
      ActorSystem keyshard = ActorSystem.create("keyshard", base);
      SchemaUtils.createIfNotExists(JdbcEngine.SCHEMA, keyshard).toCompletableFuture().get(60, TimeUnit.SECONDS);
      try (Connection c = DriverManager.getConnection(base.getString(JdbcEngine.DB + ".url"), "postgres", "")) {
        JournalFence.install(c);
      }
      System.out.printf("%-9s %-6s %10s %10s %9s %9s %9s%n", "dao", "W:B", "writes/s", "events/s", "mean ms", "p50 ms", "p99 ms");
      int run = 0;
      for (int r = 0; r < rounds; r++) {
        for (String shape : shapes) {
          for (ActorSystem system : r % 2 == 0 ? List.of(plugin, keyshard) : List.of(keyshard, plugin)) {
            round(system, shape, seconds, run++);
          }
        }
      }
      plugin.terminate();
      keyshard.terminate();
      plugin.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      keyshard.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static void round(ActorSystem system, String shape, int seconds, int run) throws Exception {
    int writers = Integer.parseInt(shape.split(":")[0]);
    int batch = Integer.parseInt(shape.split(":")[1]);
    List<ActorRef> refs = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      refs.add(system.actorOf(Props.create(Writer.class, "bench-" + system.name() + "-" + run + "-" + w, batch)));
    }
    for (ActorRef ref : refs) { // recovery and a first write outside the measurement
      Patterns.ask(ref, "write", Duration.ofSeconds(30)).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    AtomicLong writes = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long[][] latencies = new long[writers][];
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int at = w;
      Thread t = new Thread(() -> {
        long[] mine = new long[1 << 16];
        int n = 0;
        try {
          while (System.nanoTime() < end) {
            long start = System.nanoTime();
            Object reply =
                Patterns.ask(refs.get(at), "write", Duration.ofSeconds(30)).toCompletableFuture().get(60, TimeUnit.SECONDS);
            if (!"ok".equals(reply)) {
              failed.incrementAndGet();
              break;
            }
            if (n < mine.length) {
              mine[n++] = System.nanoTime() - start;
            }
            writes.incrementAndGet();
          }
        } catch (Exception e) {
          failed.incrementAndGet();
        }
        latencies[at] = Arrays.copyOf(mine, n);
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
    double mean = Arrays.stream(all).average().orElse(0) / 1e6;
    System.out.printf("%-9s %-6s %10.0f %10.0f %9.2f %9.2f %9.2f %s%n",
        system.name(), shape, writes.get() / (double) seconds, writes.get() * batch / (double) seconds, mean,
        all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6,
        failed.get() == 0 ? "" : failed.get() + " writers failed (journal timeouts)");
    for (ActorRef ref : refs) {
      system.stop(ref);
    }
  }
}
