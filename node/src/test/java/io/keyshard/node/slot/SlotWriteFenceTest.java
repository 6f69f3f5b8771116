package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.keyshard.node.commands.CommandRegistry;
import io.keyshard.node.route.Verdict;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.TxEvent;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every path that journals to a slot asks whether its incarnation may (cluster mode: the slot
 * is still this node's at this epoch, and the node is not paused), not only client commands:
 * the expiry cycle, an eviction, a transaction's roll-forward and its apply
 * (docs/decisions/2026-12-06-fencing-every-write.md). And a transaction is named by its log and
 * its id: two logs' transactions with the same id are two transactions. A new incarnation
 * applies the shares its slot's logs hold pending before it serves anything
 * (docs/decisions/2026-12-07-shares-before-serving.md).
 */
class SlotWriteFenceTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          PersistenceTestKitPlugin.getInstance()
              .config()
              .withFallback(PersistenceTestKitSnapshotPlugin.config())
              .withFallback(
                  ConfigFactory.parseString(
                      "pekko.actor.serialize-messages = on\n"
                          + "pekko.actor.provider = local\n"
                          + "pekko.persistence.testkit.events.serialize = on\n"
                          + "pekko.persistence.testkit.snapshots.serialize = on\n"))
              .withFallback(ConfigFactory.load()));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final KeyshardSerializer FORMAT = new KeyshardSerializer();

  /** What the node's table says about the slot (null: this node's, at this epoch). */
  private final AtomicReference<Verdict> elsewhere = new AtomicReference<>();
  /** Non-null while the node is paused (cut off from the majority). */
  private final AtomicReference<Verdict> paused = new AtomicReference<>();

  private ActorRef<SlotIndex.Command> index;

  @BeforeEach
  void clear() {
    journal.clearAll();
    elsewhere.set(null);
    paused.set(null);
    // An index that acknowledges every registration.
    index =
        testKit.spawn(
            Behaviors.receiveMessage(
                m -> {
                  if (m instanceof SlotIndex.Register r) {
                    r.replyTo().tell(new SlotIndex.Answer(r.seq(), true));
                  }
                  return Behaviors.same();
                }));
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private SlotEntity.Settings settings() {
    return settings(PendingShares.NONE);
  }

  private SlotEntity.Settings settings(PendingShares pending) {
    return new SlotEntity.Settings(
        CommandRegistry.keyedCommands().slotBodies(),
        index,
        100,
        1000,
        Duration.ofMillis(50),
        500,
        new LocalSlots(),
        new SlotEntity.Fence() {
          @Override
          public Verdict refusal(int slot, long epoch) {
            return elsewhere.get();
          }

          @Override
          public Verdict paused() {
            return paused.get();
          }
        },
        new JournalHealth(),
        pending);
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[][] argv(String... a) {
    byte[][] out = new byte[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = b(a[i]);
    }
    return out;
  }

  private Reply exec(ActorRef<SlotEntity.Command> slot, boolean write, String... a) {
    TestProbe<Reply> probe = testKit.createTestProbe();
    slot.tell(new SlotEntity.Exec(a[0].toLowerCase(), 0, argv(a), write, probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(5));
  }

  private static String text(Reply r) {
    return r instanceof Reply.Bulk bulk ? new String(bulk.value(), StandardCharsets.UTF_8) : String.valueOf(r);
  }

  private static final Verdict MOVED = new Verdict.Moved(21, "10.0.0.2:7001");

  @Test
  void anIncarnationThatLostTheSlotJournalsNoExpiry() {
    String pid = SlotEntity.persistenceId(21).id();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(21, 3, settings()));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "v", "PX", "300"));
    journal.expectNextPersistedClass(pid, SlotEvent.ValueSet.class);
    elsewhere.set(MOVED); // the table gave the slot away (SETSLOT NODE, a takeover)
    journal.expectNothingPersisted(pid, Duration.ofMillis(800));
    testKit.createTestProbe().expectTerminated(slot, Duration.ofSeconds(5));
  }

  @Test
  void aPausedNodeJournalsNoExpiryUntilItIsBack() {
    String pid = SlotEntity.persistenceId(22).id();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(22, 3, settings()));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "v", "PX", "200"));
    journal.expectNextPersistedClass(pid, SlotEvent.ValueSet.class);
    paused.set(Verdict.CLUSTER_DOWN);
    journal.expectNothingPersisted(pid, Duration.ofMillis(600));
    paused.set(null); // the node reaches the majority again, still the owner
    journal.expectNextPersistedClass(pid, SlotEvent.KeysExpired.class);
  }

  @Test
  void anIncarnationThatLostTheSlotEvictsNothing() {
    String pid = SlotEntity.persistenceId(23).id();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(23, 3, settings()));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "v"));
    journal.expectNextPersistedClass(pid, SlotEvent.ValueSet.class);
    elsewhere.set(MOVED);
    TestProbe<Long> freed = testKit.createTestProbe();
    slot.tell(new SlotEntity.EvictKey("allkeys-random", 0, b("k"), 0, freed.ref()));
    assertEquals(0L, freed.receiveMessage(Duration.ofSeconds(5)));
    journal.expectNothingPersisted(pid, Duration.ofMillis(300));
    testKit.createTestProbe().expectTerminated(slot, Duration.ofSeconds(5));
  }

  @Test
  void aPausedNodeOffersAndEvictsNothing() {
    String pid = SlotEntity.persistenceId(24).id();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(24, 3, settings()));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "v"));
    journal.expectNextPersistedClass(pid, SlotEvent.ValueSet.class);
    paused.set(Verdict.CLUSTER_DOWN);
    TestProbe<SlotEntity.EvictionCandidates> sampled = testKit.createTestProbe();
    slot.tell(new SlotEntity.SampleForEviction("allkeys-random", 5, sampled.ref()));
    assertEquals(List.of(), sampled.receiveMessage(Duration.ofSeconds(5)).candidates());
    TestProbe<Long> freed = testKit.createTestProbe();
    slot.tell(new SlotEntity.EvictKey("allkeys-random", 0, b("k"), 0, freed.ref()));
    assertEquals(0L, freed.receiveMessage(Duration.ofSeconds(5)));
    journal.expectNothingPersisted(pid, Duration.ofMillis(300));
    paused.set(null);
    assertEquals("v", text(exec(slot, false, "GET", "k")), "a paused incarnation stays");
  }

  @Test
  void anIncarnationThatLostTheSlotDoesNotRollATransactionForward() {
    String pid = SlotEntity.persistenceId(25).id();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(25, 3, settings()));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "old"));
    journal.expectNextPersistedClass(pid, SlotEvent.ValueSet.class);
    elsewhere.set(MOVED);
    TestProbe<Done> applied = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxApply(5, 5, List.of(FORMAT.nest(new SlotEvent.ValueSet(0, b("k"), b("new"), 0))), applied.ref(), "txlog-a"));
    applied.expectNoMessage(Duration.ofMillis(300)); // its sender asks the slot's owner instead
    journal.expectNothingPersisted(pid, Duration.ofMillis(300));
    testKit.createTestProbe().expectTerminated(slot, Duration.ofSeconds(5));
  }

  @Test
  void anIncarnationThatLostTheSlotDoesNotApplyTheShareItHoldsLocked() {
    String pid = SlotEntity.persistenceId(26).id();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(26, 3, settings()));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "old"));
    journal.expectNextPersistedClass(pid, SlotEvent.ValueSet.class);
    TestProbe<Done> locked = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxLock(7, locked.ref(), "txlog-a"));
    locked.receiveMessage(Duration.ofSeconds(5));
    TestProbe<Reply> ran = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxExec(7, "set", 0, argv("SET", "k", "new"), true, ran.ref()));
    assertEquals(Reply.OK, ran.receiveMessage(Duration.ofSeconds(5)));
    TestProbe<SlotEntity.TxShare> share = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxPrepare(7, share.ref()));
    List<TxEvent.Nested> events = share.receiveMessage(Duration.ofSeconds(5)).events();
    elsewhere.set(MOVED); // committed, then the slot was given away before this apply
    TestProbe<Done> applied = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxApply(7, 7, events, applied.ref(), "txlog-a"));
    applied.expectNoMessage(Duration.ofMillis(300));
    journal.expectNothingPersisted(pid, Duration.ofMillis(300));
    testKit.createTestProbe().expectTerminated(slot, Duration.ofSeconds(5));
    // What the journal holds is the old value; the share is the slot's new owner's to apply.
    elsewhere.set(null);
    ActorRef<SlotEntity.Command> owner = testKit.spawn(SlotEntity.create(26, 4, settings()));
    assertEquals("old", text(exec(owner, false, "GET", "k")));
  }

  @Test
  void noShareIsHandedOverForTheCommitRecordOnceTheSlotIsLost() {
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(27, 3, settings()));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "old"));
    TestProbe<Done> locked = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxLock(8, locked.ref(), "txlog-a"));
    locked.receiveMessage(Duration.ofSeconds(5));
    TestProbe<Reply> ran = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxExec(8, "set", 0, argv("SET", "k", "new"), true, ran.ref()));
    ran.receiveMessage(Duration.ofSeconds(5));
    elsewhere.set(MOVED);
    TestProbe<SlotEntity.TxShare> share = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxPrepare(8, share.ref()));
    // No share: the transaction cannot reach its commit point, and undoes itself.
    share.expectNoMessage(Duration.ofMillis(300));
    TestProbe<Done> lock = testKit.createTestProbe();
    ActorRef<SlotEntity.Command> other = testKit.spawn(SlotEntity.create(28, 3, settings()));
    other.tell(new SlotEntity.TxLock(9, lock.ref(), "txlog-a"));
    lock.expectNoMessage(Duration.ofMillis(300)); // nor a lock
  }

  /** Two logs number their transactions each from 1: the same id is not the same transaction. */
  @Test
  void theSameIdFromAnotherLogIsAnotherTransaction() {
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(29, 3, settings()));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "-"));
    TestProbe<Done> applied = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxApply(5, 5, List.of(FORMAT.nest(new SlotEvent.Appended(0, b("k"), b("a")))), applied.ref(), "txlog-a"));
    applied.receiveMessage(Duration.ofSeconds(5));
    slot.tell(new SlotEntity.TxApply(5, 5, List.of(FORMAT.nest(new SlotEvent.Appended(0, b("k"), b("b")))), applied.ref(), "txlog-b"));
    applied.receiveMessage(Duration.ofSeconds(5));
    // The same transaction again (a recovery that rolls it forward once more): applied once.
    slot.tell(new SlotEntity.TxApply(5, 5, List.of(FORMAT.nest(new SlotEvent.Appended(0, b("k"), b("a")))), applied.ref(), "txlog-a"));
    applied.receiveMessage(Duration.ofSeconds(5));
    assertEquals("-ab", text(exec(slot, false, "GET", "k")));
    // Log b's watermark says nothing about log a's ids: a's 5 is still known after it.
    slot.tell(new SlotEntity.TxApply(9, 9, List.of(FORMAT.nest(new SlotEvent.Appended(0, b("k"), b("c")))), applied.ref(), "txlog-b"));
    applied.receiveMessage(Duration.ofSeconds(5));
    slot.tell(new SlotEntity.TxApply(5, 5, List.of(FORMAT.nest(new SlotEvent.Appended(0, b("k"), b("a")))), applied.ref(), "txlog-a"));
    applied.receiveMessage(Duration.ofSeconds(5));
    assertEquals("-abc", text(exec(slot, false, "GET", "k")));
    testKit.stop(slot);
    ActorRef<SlotEntity.Command> again = testKit.spawn(SlotEntity.create(29, 3, settings()));
    assertEquals("-abc", text(exec(again, false, "GET", "k")), "and so does the journal");
  }

  /**
   * The lock is held by a transaction of one log: another log's transaction with the same id
   * (a share a node completes for a node that is gone) is not its apply, and waits for it.
   */
  @Test
  void aLockIsHeldByOneLogsTransaction() {
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(30, 3, settings()));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "-"));
    TestProbe<Done> locked = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxLock(7, locked.ref(), "txlog-a"));
    locked.receiveMessage(Duration.ofSeconds(5));
    TestProbe<Reply> ran = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxExec(7, "append", 0, argv("APPEND", "k", "a"), true, ran.ref()));
    ran.receiveMessage(Duration.ofSeconds(5));
    TestProbe<SlotEntity.TxShare> share = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxPrepare(7, share.ref()));
    List<TxEvent.Nested> mine = share.receiveMessage(Duration.ofSeconds(5)).events();
    TestProbe<Done> otherApplied = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxApply(7, 7, List.of(FORMAT.nest(new SlotEvent.Appended(0, b("k"), b("b")))), otherApplied.ref(), "txlog-b"));
    otherApplied.expectNoMessage(Duration.ofMillis(200)); // waits for the lock's own apply
    TestProbe<Done> applied = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxApply(7, 7, mine, applied.ref(), "txlog-a"));
    applied.receiveMessage(Duration.ofSeconds(5));
    otherApplied.receiveMessage(Duration.ofSeconds(5));
    assertEquals("-ab", text(exec(slot, false, "GET", "k")));
    testKit.stop(slot);
    ActorRef<SlotEntity.Command> again = testKit.spawn(SlotEntity.create(30, 3, settings()));
    assertEquals("-ab", text(exec(again, false, "GET", "k")));
  }

  private static PendingShares.Share pendingAppend(String log, long txId, String key, String suffix) {
    return new PendingShares.Share(
        log, true, txId, txId, List.of(FORMAT.nest(new SlotEvent.Appended(0, b(key), b(suffix)))));
  }

  /**
   * A node died after a transaction's commit record: the slot's new owner applies the share
   * before its first command, so a client's write made then stays on top, and the heir's
   * apply of the same share later (or a second incarnation reading the same log) changes nothing.
   */
  @Test
  void aNewIncarnationAppliesThePendingSharesBeforeServing() {
    String pid = SlotEntity.persistenceId(31).id();
    ActorRef<SlotEntity.Command> first = testKit.spawn(SlotEntity.create(31, 3, settings()));
    assertEquals(Reply.OK, exec(first, true, "SET", "k", "-"));
    journal.expectNextPersistedClass(pid, SlotEvent.ValueSet.class);
    testKit.stop(first);

    CompletableFuture<List<PendingShares.Share>> read = new CompletableFuture<>();
    AtomicInteger asks = new AtomicInteger();
    PendingShares logs =
        slot -> {
          asks.incrementAndGet();
          return slot == 31 ? read : CompletableFuture.completedFuture(List.of());
        };
    ActorRef<SlotEntity.Command> owner = testKit.spawn(SlotEntity.create(31, 4, settings(logs)));
    TestProbe<Reply> set = testKit.createTestProbe();
    owner.tell(new SlotEntity.Exec("append", 0, argv("APPEND", "k", "c"), true, set.ref()));
    set.expectNoMessage(Duration.ofMillis(300)); // nothing is served before the logs are read
    journal.expectNothingPersisted(pid, Duration.ofMillis(100));
    read.complete(List.of(pendingAppend("txlog-gone", 5, "k", "a")));
    assertEquals(3L, ((Reply.Int) set.receiveMessage(Duration.ofSeconds(5))).value());
    assertEquals("-ac", text(exec(owner, false, "GET", "k")), "the share first, the client's write on top");
    journal.expectNextPersistedClass(pid, SlotEvent.TxApplied.class);

    TestProbe<Done> heir = testKit.createTestProbe();
    owner.tell(new SlotEntity.TxApply(5, 5, List.of(FORMAT.nest(new SlotEvent.Appended(0, b("k"), b("a")))), heir.ref(), "txlog-gone"));
    heir.receiveMessage(Duration.ofSeconds(5));
    assertEquals("-ac", text(exec(owner, false, "GET", "k")), "the heir's apply finds it applied");

    testKit.stop(owner);
    ActorRef<SlotEntity.Command> next = testKit.spawn(SlotEntity.create(31, 5, settings(logs)));
    assertEquals("-ac", text(exec(next, false, "GET", "k")), "a share still pending in its log is applied once");
    assertEquals(2, asks.get());
  }

  @Test
  void aFailedReadOfTheLogsIsAskedAgainAndNothingIsServedMeanwhile() {
    AtomicInteger asks = new AtomicInteger();
    PendingShares flaky =
        slot ->
            asks.incrementAndGet() == 1
                ? CompletableFuture.failedFuture(new IllegalStateException("journal unreachable"))
                : CompletableFuture.completedFuture(List.of(pendingAppend("txlog-gone", 8, "k", "x")));
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(32, 3, settings(flaky)));
    TestProbe<Reply> get = testKit.createTestProbe();
    slot.tell(new SlotEntity.Exec("get", 0, argv("GET", "k"), false, get.ref()));
    get.expectNoMessage(Duration.ofMillis(500));
    assertEquals("x", text(get.receiveMessage(Duration.ofSeconds(5))));
    assertEquals(2, asks.get());
  }

  @Test
  void aSlotLostBeforeItsSharesAreAppliedJournalsNothing() {
    String pid = SlotEntity.persistenceId(33).id();
    CompletableFuture<List<PendingShares.Share>> read = new CompletableFuture<>();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(33, 3, settings(s -> read)));
    TestProbe<Reply> get = testKit.createTestProbe();
    slot.tell(new SlotEntity.Exec("get", 0, argv("GET", "k"), false, get.ref()));
    get.expectNoMessage(Duration.ofMillis(200));
    elsewhere.set(MOVED); // taken over again before the logs were read
    read.complete(List.of(pendingAppend("txlog-gone", 9, "k", "x")));
    journal.expectNothingPersisted(pid, Duration.ofMillis(500));
    testKit.createTestProbe().expectTerminated(slot, Duration.ofSeconds(5));
  }
}
