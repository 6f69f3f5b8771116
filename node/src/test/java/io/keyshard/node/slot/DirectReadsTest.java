package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.keyshard.node.commands.CommandRegistry;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess$;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A read on the connection's thread ({@link DirectReads}) sees exactly the acknowledged writes:
 * never a write whose journal write is still open or in flight, never a transaction's tentative
 * state; otherwise it declines and the read goes through the slot's mailbox.
 */
class DirectReadsTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          PersistenceTestKitPlugin.getInstance()
              .config()
              .withFallback(PersistenceTestKitSnapshotPlugin.config())
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(ConfigFactory.load()));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());

  private final LocalSlots local = new LocalSlots();

  @AfterEach
  void reset() {
    journal.resetPolicy();
    journal.clearAll();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private ActorRef<SlotEntity.Command> spawn(int slot) {
    ActorRef<SlotIndex.Command> index =
        testKit.spawn(
            Behaviors.receiveMessage(
                m -> {
                  if (m instanceof SlotIndex.Register r) {
                    r.replyTo().tell(new SlotIndex.Answer(r.seq(), true));
                  }
                  return Behaviors.same();
                }));
    SlotEntity.Settings settings =
        new SlotEntity.Settings(
            CommandRegistry.keyedCommands().slotBodies(),
            index,
            1000,
            1000,
            Duration.ofMillis(50),
            500,
            local);
    return testKit.spawn(SlotEntity.create(slot, settings));
  }

  private static byte[][] argv(String... a) {
    byte[][] out = new byte[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i].getBytes(StandardCharsets.UTF_8);
    }
    return out;
  }

  private Reply directGet(int slot, String key) {
    DirectReads reads = local.directReads(slot, 0);
    return reads == null ? null : reads.tryRead("get", 0, argv("GET", key));
  }

  /** Waits until the slot answers reads directly, and returns that answer. */
  private Reply awaitDirect(Supplier<Reply> read) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      Reply r = read.get();
      if (r != null) {
        return r;
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the slot never answered a direct read");
  }

  private static String text(Reply r) {
    return r instanceof Reply.Bulk b ? new String(b.value(), StandardCharsets.UTF_8) : String.valueOf(r);
  }

  private Reply write(ActorRef<SlotEntity.Command> slot, String... a) {
    TestProbe<Reply> probe = testKit.createTestProbe();
    slot.tell(new SlotEntity.Exec(a[0].toLowerCase(), 0, argv(a), true, probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(5));
  }

  @Test
  void aWriteInTheJournalIsNotReadDirectlyUntilItIsAcknowledged() throws Exception {
    ActorRef<SlotEntity.Command> slot = spawn(11);
    assertEquals(Reply.OK, write(slot, "SET", "k", "v1"));
    assertEquals("v1", text(awaitDirect(() -> directGet(11, "k"))));

    // The next journal write hangs until released: the fsync of a slow disk.
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    journal.withPolicy(
        new ProcessingPolicy<JournalOperation>() {
          @Override
          public ProcessingResult tryProcess(String persistenceId, JournalOperation op) {
            if (op instanceof WriteEvents) {
              entered.countDown();
              try {
                release.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return ProcessingSuccess$.MODULE$;
          }
        });
    TestProbe<Reply> setter = testKit.createTestProbe();
    slot.tell(new SlotEntity.Exec("set", 0, argv("SET", "k", "v2"), true, setter.ref()));
    assertTrue(entered.await(5, TimeUnit.SECONDS), "the write never reached the journal");
    // v2 is in the slot's memory but not acknowledged: a direct read must decline, not answer
    // v1 or v2 (the mailbox path waits for the write, as before).
    for (int i = 0; i < 20; i++) {
      assertNull(directGet(11, "k"), "a direct read answered while a write was in flight");
      Thread.sleep(5);
    }
    setter.expectNoMessage(Duration.ofMillis(50));
    release.countDown();
    assertEquals(Reply.OK, setter.receiveMessage(Duration.ofSeconds(5)));
    assertEquals("v2", text(awaitDirect(() -> directGet(11, "k"))));
  }

  @Test
  void aTransactionsLockStopsDirectReadsUntilItEnds() throws Exception {
    ActorRef<SlotEntity.Command> slot = spawn(12);
    assertEquals(Reply.OK, write(slot, "SET", "a", "1"));
    assertEquals("1", text(awaitDirect(() -> directGet(12, "a"))));

    TestProbe<Done> locked = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxLock(42, locked.ref()));
    locked.receiveMessage(Duration.ofSeconds(5));
    TestProbe<Reply> tentative = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxExec(42, "set", 0, argv("SET", "a", "2"), true, tentative.ref()));
    assertEquals(Reply.OK, tentative.receiveMessage(Duration.ofSeconds(5)));
    // The tentative "2" is in memory; neither it nor the old value may be read past the lock.
    assertNull(directGet(12, "a"));

    TestProbe<Done> aborted = testKit.createTestProbe();
    slot.tell(new SlotEntity.TxAbort(42, aborted.ref()));
    aborted.receiveMessage(Duration.ofSeconds(5));
    assertEquals("1", text(awaitDirect(() -> directGet(12, "a"))));
  }

  @Test
  void aStoppedSlotOffersNoDirectReads() throws Exception {
    ActorRef<SlotEntity.Command> slot = spawn(13);
    assertEquals(Reply.OK, write(slot, "SET", "x", "y"));
    assertNotNull(awaitDirect(() -> directGet(13, "x")));
    testKit.stop(slot);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (local.directReads(13, 0) != null && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertNull(local.directReads(13, 0));
  }
}
