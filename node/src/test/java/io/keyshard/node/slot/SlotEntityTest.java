package io.keyshard.node.slot;

import java.util.concurrent.atomic.AtomicReference;
import io.keyshard.node.route.Verdict;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.keyshard.node.commands.CommandRegistry;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The slot entity on Pekko's persistence test kit, which serializes every event and snapshot
 * through the real serializer (and here every message too, as if it crossed nodes).
 */
class SlotEntityTest {
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
                          + "pekko.persistence.testkit.snapshots.serialize = on\n"
                          // These tests look at every snapshot a slot takes; deleting the older
                          // ones is BoundedJournalTest's subject.
                          + "keyshard.journal.retain = 1h"))
              .withFallback(ConfigFactory.load()));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit snapshots =
      org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit.create(testKit.system());

  private TestProbe<SlotIndex.Command> index;

  @BeforeEach
  void clear() {
    journal.clearAll();
    snapshots.clearAll();
    index = testKit.createTestProbe();
    autoIndex = null;
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private SlotEntity.Settings settings(int snapshotEvery) {
    return new SlotEntity.Settings(
        CommandRegistry.keyedCommands().slotBodies(),
        autoIndex != null ? autoIndex : index.ref(),
        snapshotEvery,
        1000,
        Duration.ofMillis(50),
        500,
        new LocalSlots());
  }

  private static byte[][] argv(String... a) {
    byte[][] out = new byte[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i].getBytes(StandardCharsets.UTF_8);
    }
    return out;
  }

  private Reply exec(ActorRef<SlotEntity.Command> slot, boolean write, String... a) {
    TestProbe<Reply> probe = testKit.createTestProbe();
    slot.tell(new SlotEntity.Exec(a[0].toLowerCase(), 0, argv(a), write, probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(5));
  }

  /** An index that acknowledges every registration and forwards everything to the probe. */
  private void autoAcknowledgeRegistrations() {
    index = testKit.createTestProbe();
    ActorRef<SlotIndex.Command> probe = index.ref();
    ActorRef<SlotIndex.Command> auto =
        testKit.spawn(
            org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(
                m -> {
                  if (m instanceof SlotIndex.Register r) {
                    r.replyTo().tell(new SlotIndex.Answer(r.seq(), true));
                  }
                  probe.tell(m);
                  return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
                }));
    autoIndex = auto;
  }

  private ActorRef<SlotIndex.Command> autoIndex;

  private static String text(Reply r) {
    return r instanceof Reply.Bulk b ? new String(b.value(), StandardCharsets.UTF_8) : String.valueOf(r);
  }

  @Test
  void registersInTheIndexBeforeTheFirstWriteIsPersisted() {
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(7, settings(100)));
    TestProbe<Reply> probe = testKit.createTestProbe();
    slot.tell(new SlotEntity.Exec("set", 0, argv("SET", "k", "v"), true, probe.ref()));
    SlotIndex.Register register = index.expectMessageClass(SlotIndex.Register.class);
    assertEquals(7, register.slot());
    // Nothing may reach the journal before the index knows the slot is non-empty.
    journal.expectNothingPersisted(SlotEntity.persistenceId(7).id(), Duration.ofMillis(200));
    probe.expectNoMessage(Duration.ofMillis(100));
    register.replyTo().tell(new SlotIndex.Answer(register.seq(), true));
    assertEquals(Reply.OK, probe.receiveMessage());
    journal.expectNextPersistedClass(SlotEntity.persistenceId(7).id(), SlotEvent.ValueSet.class);
  }

  @Test
  void unregistersAfterTheLastKeyIsDeleted() {
    autoAcknowledgeRegistrations();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(8, settings(100)));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "v"));
    TestProbe<Reply> probe = testKit.createTestProbe();
    slot.tell(new SlotEntity.Exec("del", 0, argv("DEL", "k"), true, probe.ref()));
    assertEquals(Reply.ONE, probe.receiveMessage());
    assertEquals(8, index.expectMessageClass(SlotIndex.Register.class).slot());
    assertEquals(8, index.expectMessageClass(SlotIndex.Unregister.class).slot());
  }

  @Test
  void recoversFromEventsAndSnapshots() {
    autoAcknowledgeRegistrations();
    String pid = SlotEntity.persistenceId(9).id();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(9, settings(5)));
    assertEquals(Reply.OK, exec(slot, true, "SET", "a", "1"));
    for (int i = 0; i < 11; i++) {
      exec(slot, true, "INCR", "a");
    }
    exec(slot, true, "SET", "b", "x", "PX", "600000");
    exec(slot, true, "APPEND", "b", "yz");
    testKit.stop(slot);
    assertTrue(journal.persistedInStorage(pid).size() > 0);

    ActorRef<SlotEntity.Command> again = testKit.spawn(SlotEntity.create(9, settings(5)));
    assertEquals("12", text(exec(again, false, "GET", "a")));
    assertEquals("xyz", text(exec(again, false, "GET", "b")));
    long pttl = ((Reply.Int) exec(again, false, "PTTL", "b")).value();
    assertTrue(pttl > 500_000 && pttl <= 600_000, "expiry survives recovery: " + pttl);
  }

  /** Cluster mode: an incarnation whose node no longer owns the slot neither answers nor writes. */
  @Test
  void aSlotNotServedHereRedirectsAndStops() {
    autoAcknowledgeRegistrations();
    AtomicReference<Verdict> elsewhere = new AtomicReference<>();
    SlotEntity.Settings base = settings(100);
    SlotEntity.Settings fenced =
        new SlotEntity.Settings(
            base.commands(), base.index(), 100, 1000, Duration.ofMillis(50), 500, new LocalSlots(),
            (slot, epoch) -> elsewhere.get());
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(13, fenced));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "1"));
    elsewhere.set(new Verdict.Moved(13, "10.0.0.2:7001"));
    TestProbe<Object> watcher = testKit.createTestProbe();
    assertEquals(Reply.error("MOVED 13 10.0.0.2:7001"), exec(slot, true, "SET", "k", "2"));
    watcher.expectTerminated(slot, Duration.ofSeconds(5));
    // The write that was refused is not in the journal: a new incarnation reads the old value.
    elsewhere.set(null);
    ActorRef<SlotEntity.Command> again = testKit.spawn(SlotEntity.create(13, fenced));
    assertEquals("1", text(exec(again, false, "GET", "k")));
  }

  @Test
  void snapshotsGrowFartherApartAsTheStateGrows() {
    autoAcknowledgeRegistrations();
    String pid = SlotEntity.persistenceId(12).id();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(12, settings(5)));
    String[] big = new String[2 + 800];
    big[0] = "HSET";
    big[1] = "h";
    for (int i = 0; i < 400; i++) {
      big[2 + 2 * i] = "f" + i;
      big[3 + 2 * i] = "v";
    }
    exec(slot, true, big); // event 1: 400 fields
    for (int i = 0; i < 80; i++) {
      exec(slot, true, "HSET", "h", "g" + i, "v"); // events 2..81
    }
    // A snapshot after event 5 (every 5 events while small); the state then holds 404
    // elements, so the next one comes 404 / 8 = 50 events later, not 5.
    List<Long> at =
        snapshots.persistedInStorage(pid).stream().map(p -> p.first().getSequenceNr()).toList();
    assertEquals(List.of(5L, 55L), at);
    testKit.stop(slot);
    ActorRef<SlotEntity.Command> again = testKit.spawn(SlotEntity.create(12, settings(5)));
    assertEquals(Reply.integer(480), exec(again, false, "HLEN", "h"));
  }

  @Test
  void readsPipelinedBehindAWriteSeeIt() {
    autoAcknowledgeRegistrations();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(10, settings(100)));
    TestProbe<Reply> probe = testKit.createTestProbe();
    // Sent back to back, before the registration is answered: order must hold.
    slot.tell(new SlotEntity.Exec("set", 0, argv("SET", "k", "v1"), true, probe.ref()));
    slot.tell(new SlotEntity.Exec("get", 0, argv("GET", "k"), false, probe.ref()));
    slot.tell(new SlotEntity.Exec("set", 0, argv("SET", "k", "v2"), true, probe.ref()));
    slot.tell(new SlotEntity.Exec("get", 0, argv("GET", "k"), false, probe.ref()));
    List<Reply> replies = probe.receiveSeveralMessages(4);
    assertEquals(Reply.OK, replies.get(0));
    assertEquals("v1", text(replies.get(1)));
    assertEquals(Reply.OK, replies.get(2));
    assertEquals("v2", text(replies.get(3)));
  }

  @Test
  void activeExpiryPersistsTheRemoval() {
    autoAcknowledgeRegistrations();
    String pid = SlotEntity.persistenceId(11).id();
    ActorRef<SlotEntity.Command> slot = testKit.spawn(SlotEntity.create(11, settings(100)));
    assertEquals(Reply.OK, exec(slot, true, "SET", "k", "v", "PX", "50"));
    journal.expectNextPersistedClass(pid, SlotEvent.ValueSet.class);
    journal.expectNextPersistedClass(pid, SlotEvent.KeysExpired.class);
  }
}
