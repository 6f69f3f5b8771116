package io.keyshard.node.tx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.TxEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node's transaction log in cluster mode has one writer at a time, named by the claim it
 * writes with its first records; a node that completes the log of a node that is gone claims it
 * too, and the node's next incarnation claims it back (docs/decisions/2026-12-06-fencing-every-
 * write.md). Standalone, a log writes no claim.
 */
class TxLogClaimTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          PersistenceTestKitPlugin.getInstance()
              .config()
              .withFallback(PersistenceTestKitSnapshotPlugin.config())
              .withFallback(
                  ConfigFactory.parseString(
                      "pekko.actor.provider = local\n"
                          + "pekko.persistence.testkit.events.serialize = on\n"
                          + "pekko.persistence.testkit.snapshots.serialize = on\n"))
              .withFallback(ConfigFactory.load()));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final KeyshardSerializer FORMAT = new KeyshardSerializer();

  @BeforeEach
  void clear() {
    journal.clearAll();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static TxEvent.TxPrepared prepared(long id, String log) {
    TxEvent.Nested set =
        FORMAT.nest(new SlotEvent.ValueSet(0, "k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8), 0));
    return new TxEvent.TxPrepared(id, List.of(new TxEvent.SlotShare(1, List.of(set))), log);
  }

  private static void ask(ActorRef<TxLog.Command> log, Function<ActorRef<Done>, TxLog.Command> message) {
    TestProbe<Done> done = testKit.createTestProbe();
    log.tell(message.apply(done.ref()));
    done.receiveMessage(Duration.ofSeconds(5));
  }

  private static TxLog.Pending pending(ActorRef<TxLog.Command> log) {
    TestProbe<TxLog.Pending> probe = testKit.createTestProbe();
    log.tell(new TxLog.GetPending(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(5));
  }

  private static void stop(ActorRef<TxLog.Command> log) {
    TestProbe<Object> watcher = testKit.createTestProbe();
    log.tell(TxLog.Stop.INSTANCE);
    watcher.expectTerminated(log, Duration.ofSeconds(5));
  }

  @Test
  void eachWriterClaimsTheLogWithItsFirstRecords() {
    String pid = TxLog.persistenceId("node-a").id();
    ActorRef<TxLog.Command> own = testKit.spawn(TxLog.create("node-a", "node-a/1"));
    ask(own, r -> new TxLog.Prepare(prepared(1, pid), r));
    journal.expectNextPersisted(pid, new TxEvent.TxLogClaimed("node-a/1"));
    assertEquals(1, journal.expectNextPersistedClass(pid, TxEvent.TxPrepared.class).txId());
    ask(own, r -> new TxLog.Prepare(prepared(2, pid), r));
    // Already the writer: no claim.
    assertEquals(2, journal.expectNextPersistedClass(pid, TxEvent.TxPrepared.class).txId());
    stop(own);

    // Node a is gone: another node completes its log, claiming it first.
    ActorRef<TxLog.Command> heir = testKit.spawn(TxLog.heir(pid, "node-b/heir/1"));
    assertEquals(List.of(1L, 2L), pending(heir).pending().stream().map(TxEvent.TxPrepared::txId).toList());
    ask(heir, r -> new TxLog.Complete(1, r));
    journal.expectNextPersisted(pid, new TxEvent.TxLogClaimed("node-b/heir/1"));
    journal.expectNextPersisted(pid, new TxEvent.TxCompleted(1));
    stop(heir);

    // Node a comes back: its new incarnation claims the log back with its first write.
    ActorRef<TxLog.Command> again = testKit.spawn(TxLog.create("node-a", "node-a/2"));
    TxLog.Pending left = pending(again);
    assertEquals(2, left.maxTxId(), "the heir writes no ids: the numbering stays the node's");
    assertEquals(List.of(2L), left.pending().stream().map(TxEvent.TxPrepared::txId).toList());
    ask(again, r -> new TxLog.Complete(2, r));
    journal.expectNextPersisted(pid, new TxEvent.TxLogClaimed("node-a/2"));
    journal.expectNextPersisted(pid, new TxEvent.TxCompleted(2));
  }

  @Test
  void aStandaloneLogWritesNoClaim() {
    String pid = TxLog.persistenceId("standalone").id();
    ActorRef<TxLog.Command> own = testKit.spawn(TxLog.create("standalone"));
    ask(own, r -> new TxLog.Prepare(prepared(1, pid), r));
    assertEquals(1, journal.expectNextPersistedClass(pid, TxEvent.TxPrepared.class).txId());
    journal.expectNothingPersisted(pid, Duration.ofMillis(200));
  }

  /** Other nodes ask a running node which slots its pending transactions touch (cluster/LogShares). */
  @Test
  void aRunningLogSaysWhichSlotsItsPendingTransactionsTouch() {
    ActorRef<TxLog.Command> log = testKit.spawn(TxLog.create("slots-node", "slots-node/w"));
    TxEvent.Nested set =
        FORMAT.nest(new SlotEvent.ValueSet(0, "k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8), 0));
    String id = TxLog.persistenceId("slots-node").id();
    ask(log, r -> new TxLog.Prepare(
        new TxEvent.TxPrepared(4, List.of(new TxEvent.SlotShare(3, List.of(set)), new TxEvent.SlotShare(9, List.of(set))), id), r));
    TestProbe<TxLog.PendingSlots> probe = testKit.createTestProbe();
    log.tell(new TxLog.GetPendingSlots(probe.ref()));
    TxLog.PendingSlots slots = probe.receiveMessage(Duration.ofSeconds(5));
    assertEquals(List.of(new TxLog.PendingTx(4, List.of(3, 9))), slots.pending());
    // Both cross the cluster bus, as CBOR.
    SerializationTestKit wire = new SerializationTestKit(testKit.system());
    wire.verifySerialization(slots, true);
    wire.verifySerialization(new TxLog.GetPendingSlots(probe.ref()), true);
    ask(log, r -> new TxLog.Complete(4, r));
    log.tell(new TxLog.GetPendingSlots(probe.ref()));
    assertEquals(List.of(), probe.receiveMessage(Duration.ofSeconds(5)).pending());
  }
}
