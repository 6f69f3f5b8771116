package io.keyshard.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.keyshard.persistence.rocks.SequenceFenceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentEnvelope;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.SaveSnapshotSuccess;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Through the RocksDB plugins in real actor systems: every golden event and a snapshot come back
 * after a restart with exactly their golden bytes, and two incarnations of one persistence id
 * (two actor systems on one directory, as NodeRunner and multi-node tests make) cannot both
 * write a sequence number.
 */
class RocksJournalGoldenTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final Path dir = tempDir();
  private final KeyshardSerializer serializer = new KeyshardSerializer();

  @AfterEach
  void cleanUp() throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void goldenEventsAndSnapshotsSurviveARestartByteForByte() throws Exception {
    Map<String, Object> samples = GoldenFormatTest.samples();
    ActorSystem first = system("first");
    try {
      TestKit probe = new TestKit(first);
      long seqNr = 0;
      List<PersistentEnvelope> writes = new ArrayList<>();
      for (Object sample : samples.values()) {
        writes.add(AtomicWrite.apply(PersistentRepr.apply(sample, ++seqNr, "slot-42", "", false,
            ActorRef.noSender(), "writer-1")));
      }
      journal(first).tell(new JournalProtocol.WriteMessages(seq(writes), probe.getRef(), 1),
          ActorRef.noSender());
      probe.expectMsg(WAIT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
      probe.receiveN(writes.size(), WAIT);
      snapshots(first).tell(new SnapshotProtocol.SaveSnapshot(
          SnapshotMetadata.apply("slot-42", seqNr, 1767225600000L),
          samples.get("SlotSnapshot")), probe.getRef());
      probe.expectMsgClass(WAIT, SaveSnapshotSuccess.class);
    } finally {
      TestKit.shutdownActorSystem(first);
    }

    ActorSystem second = system("second");
    try {
      TestKit probe = new TestKit(second);
      journal(second).tell(new JournalProtocol.ReplayMessages(1, Long.MAX_VALUE, Long.MAX_VALUE,
          "slot-42", probe.getRef()), ActorRef.noSender());
      List<String> names = new ArrayList<>(samples.keySet());
      for (int i = 0; i < names.size(); i++) {
        JournalProtocol.ReplayedMessage replayed =
            probe.expectMsgClass(WAIT, JournalProtocol.ReplayedMessage.class);
        assertEquals(i + 1, replayed.persistent().sequenceNr());
        assertEquals("writer-1", replayed.persistent().writerUuid());
        assertTrue(replayed.persistent().timestamp() > 0, "the write time is kept");
        assertGolden(names.get(i), replayed.persistent().payload());
      }
      JournalProtocol.RecoverySuccess done =
          probe.expectMsgClass(WAIT, JournalProtocol.RecoverySuccess.class);
      assertEquals(names.size(), done.highestSequenceNr());

      snapshots(second).tell(new SnapshotProtocol.LoadSnapshot("slot-42",
          SnapshotSelectionCriteria.latest(), Long.MAX_VALUE), probe.getRef());
      SnapshotProtocol.LoadSnapshotResult loaded =
          probe.expectMsgClass(WAIT, SnapshotProtocol.LoadSnapshotResult.class);
      SelectedSnapshot selected = loaded.snapshot().get();
      assertEquals(names.size(), selected.metadata().sequenceNr());
      assertTrue(selected.metadata().timestamp() > 0, "the save time (Pekko sets it)");
      assertGolden("SlotSnapshot", selected.snapshot());
    } finally {
      TestKit.shutdownActorSystem(second);
    }
  }

  @Test
  void twoIncarnationsCannotBothWriteOneSequenceNumber() {
    ActorSystem old = system("old");
    ActorSystem fresh = system("fresh");
    try {
      TestKit oldProbe = new TestKit(old);
      TestKit freshProbe = new TestKit(fresh);
      write(old, oldProbe, 1, new SlotEvent.DbFlushed(0));
      oldProbe.expectMsg(WAIT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
      oldProbe.expectMsgClass(WAIT, JournalProtocol.WriteMessageSuccess.class);

      // The new incarnation recovered (highest 1) and writes 2; the old one, unaware, writes 2.
      write(fresh, freshProbe, 2, new SlotEvent.DbFlushed(1));
      freshProbe.expectMsg(WAIT, JournalProtocol.WriteMessagesSuccessful$.MODULE$);
      write(old, oldProbe, 2, new SlotEvent.DbFlushed(2));
      JournalProtocol.WriteMessagesFailed failed =
          oldProbe.expectMsgClass(WAIT, JournalProtocol.WriteMessagesFailed.class);
      assertInstanceOf(SequenceFenceException.class, failed.cause());
    } finally {
      TestKit.shutdownActorSystem(old);
      TestKit.shutdownActorSystem(fresh);
    }
  }

  private void write(ActorSystem system, TestKit probe, long seqNr, Object event) {
    journal(system).tell(new JournalProtocol.WriteMessages(seq(List.of(AtomicWrite.apply(
        PersistentRepr.apply(event, seqNr, "slot-5", "", false, ActorRef.noSender(),
            system.name())))), probe.getRef(), 1), ActorRef.noSender());
  }

  private void assertGolden(String name, Object payload) throws IOException {
    byte[] golden = Files.readAllBytes(Path.of("src/test/resources/golden", name + ".v1.cbor"));
    assertArrayEquals(golden, serializer.toBinary(payload), name);
  }

  private ActorSystem system(String name) {
    Config config = ConfigFactory.parseMap(Map.of(
            "pekko.persistence.journal.plugin", "keyshard-rocksdb.journal",
            "pekko.persistence.snapshot-store.plugin", "keyshard-rocksdb.snapshot-store",
            "keyshard-rocksdb.dir", dir.toString()))
        .withFallback(ConfigFactory.load());
    return ActorSystem.create(name, config);
  }

  private static ActorRef journal(ActorSystem system) {
    return Persistence.get(system).journalFor("", ConfigFactory.empty());
  }

  private static ActorRef snapshots(ActorSystem system) {
    return Persistence.get(system).snapshotStoreFor("", ConfigFactory.empty());
  }

  private static scala.collection.immutable.Seq<PersistentEnvelope> seq(
      List<PersistentEnvelope> writes) {
    return CollectionConverters.asScala(writes).toList();
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("rocks-golden");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
