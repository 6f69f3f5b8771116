package io.keyshard.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Guards the stored formats: every event and snapshot type has a golden file of its serialized
 * bytes, written when the type was introduced. Today's code must read every golden file and
 * write the same bytes again. A change that breaks this breaks every journal and backup in the
 * field: add a new event type or a new optional field instead.
 *
 * <p>To add the golden file of a NEW type: run with {@code -Dgolden.write=true} once and commit
 * the new file. Never regenerate an existing one.
 */
class GoldenFormatTest {
  private static final Path DIR = Path.of("src/test/resources/golden");
  private final KeyshardSerializer serializer = new KeyshardSerializer();

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * One sample of every persisted type, by golden file name: the manifest, or the manifest, a dot
   * and a tag for a further sample of a type that already has one (a snapshot holding a hash).
   */
  static Map<String, Object> samples() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ValueSet", new SlotEvent.ValueSet(3, b("key"), new byte[] {0, 1, (byte) 0xff}, 1767225600123L));
    m.put("Appended", new SlotEvent.Appended(0, b("k"), b("tail")));
    m.put("RangeSet", new SlotEvent.RangeSet(0, b("k"), 7, b("xy")));
    m.put("KeysDeleted", new SlotEvent.KeysDeleted(1, List.of(b("a"), b("b"))));
    m.put("KeysExpired", new SlotEvent.KeysExpired(2, List.of(b("gone"))));
    m.put("KeysEvicted", new SlotEvent.KeysEvicted(3, List.of(b("old"), b("older"))));
    m.put("ExpirySet", new SlotEvent.ExpirySet(0, b("k"), 1767225600999L));
    m.put("KeyRenamed", new SlotEvent.KeyRenamed(0, b("{t}a"), b("{t}b")));
    m.put("KeyCopied", new SlotEvent.KeyCopied(0, b("{t}a"), 5, b("{t}c")));
    m.put("KeyMoved", new SlotEvent.KeyMoved(0, b("k"), 9));
    m.put("DbFlushed", new SlotEvent.DbFlushed(-1));
    m.put(
        "SlotSnapshot",
        new SlotSnapshot(
            List.of(
                new SlotSnapshot.DbEntries(
                    0,
                    List.of(
                        new SlotSnapshot.Entry(b("k1"), StringValue.of(b("v1")), 0),
                        new SlotSnapshot.Entry(b("k2"), new StringValue(b("raw"), true), 1767225600000L))))));
    m.put("SlotRegistered", new IndexEvent.SlotRegistered(12182));
    m.put("SlotUnregistered", new IndexEvent.SlotUnregistered(0));
    m.put("IndexSnapshot", new IndexEvent.IndexSnapshot(new long[] {5L, 0L, 1L << 63}));
    KeyshardSerializer f = new KeyshardSerializer();
    TxEvent.Nested set = f.nest(new SlotEvent.ValueSet(0, b("{a}x"), b("1"), 0));
    TxEvent.Nested del = f.nest(new SlotEvent.KeysDeleted(0, List.of(b("y"))));
    m.put("TxApplied", new SlotEvent.TxApplied(42, 40, List.of(set)));
    TxEvent.TxPrepared prepared =
        new TxEvent.TxPrepared(
            42, List.of(new TxEvent.SlotShare(1, List.of(set)), new TxEvent.SlotShare(900, List.of(del))));
    m.put("TxPrepared", prepared);
    m.put("TxCompleted", new TxEvent.TxCompleted(42));
    m.put("KeyRestored", new SlotEvent.KeyRestored(2, b("k"), new StringValue(b("v"), true), 99L));
    m.put("TxLogSnapshot", new TxEvent.TxLogSnapshot(42, List.of(prepared)));
    m.put(
        "HashFieldsSet",
        new SlotEvent.HashFieldsSet(1, b("h"), List.of(b("f1"), b("v1"), b("f2"), new byte[] {0, (byte) 0xff})));
    m.put("HashFieldsDeleted", new SlotEvent.HashFieldsDeleted(0, b("h"), List.of(b("f1"), b("f2"))));
    HashValue small = new HashValue();
    small.put(b("f1"), b("v1"));
    small.put(b("f2"), b("2"));
    HashValue converted = new HashValue();
    converted.put(b("long"), b("x".repeat(HashValue.LISTPACK_MAX_VALUE + 1)));
    converted.remove(b("long"));
    converted.put(b("f"), b("v"));
    m.put(
        "SlotSnapshot.hash",
        new SlotSnapshot(
            List.of(
                new SlotSnapshot.DbEntries(
                    0,
                    List.of(
                        new SlotSnapshot.Entry(b("h1"), small, 0),
                        new SlotSnapshot.Entry(b("h2"), converted, 1767225600000L))))));
    SlotTableEvent.NodeSeen seen = new SlotTableEvent.NodeSeen("07c37dfeb235213a872192d90877d0cd55635b91", "10.0.0.7", 7000, 17000);
    SlotTableEvent.SlotsAssigned assigned =
        new SlotTableEvent.SlotsAssigned(seen.nodeId(), List.of(0, 5460, 16000, 16383), 3);
    m.put("NodeSeen", seen);
    m.put("SlotsAssigned", assigned);
    m.put("TableSnapshot", new SlotTableEvent.TableSnapshot(List.of(seen), List.of(assigned), 3));
    m.put("NodeForgotten", new SlotTableEvent.NodeForgotten(seen.nodeId(), 4));
    m.put("ReplicaSet", new SlotTableEvent.ReplicaSet("5f1d0c4c5a0f4e7a9b3c2d1e0f9a8b7c6d5e4f3a", seen.nodeId(), 6));
    m.put("TableSnapshot.replicas", new SlotTableEvent.TableSnapshot(List.of(seen), List.of(assigned), 6,
        List.of(new SlotTableEvent.ReplicaSet("5f1d0c4c5a0f4e7a9b3c2d1e0f9a8b7c6d5e4f3a", seen.nodeId(), 0))));
    m.put("SlotsUnassigned", new SlotTableEvent.SlotsUnassigned(List.of(100, 200, 16383, 16383), 5));
    // Transactions named by their log (docs/decisions/2026-12-06-fencing-every-write.md).
    String log = "txlog-07c37dfeb235213a872192d90877d0cd55635b91";
    m.put("TxApplied.log", new SlotEvent.TxApplied(42, 40, List.of(set), log));
    m.put("TxPrepared.log", new TxEvent.TxPrepared(43, List.of(new TxEvent.SlotShare(1, List.of(set))), log));
    m.put(
        "SlotSnapshot.logs",
        new SlotSnapshot(
            List.of(new SlotSnapshot.DbEntries(0, List.of(new SlotSnapshot.Entry(b("k1"), StringValue.of(b("v1")), 0)))),
            List.of(7L),
            List.of(new SlotSnapshot.LogTx(log, List.of(41L, 42L)))));
    m.put("TxLogClaimed", new TxEvent.TxLogClaimed("07c37dfeb235213a872192d90877d0cd55635b91/3f2a"));
    m.put("TxLogSnapshot.claimed", new TxEvent.TxLogSnapshot(42, List.of(prepared), "07c37dfeb235213a872192d90877d0cd55635b91/3f2a"));
    // Slot migration (docs/decisions/2026-12-06-slot-migration-protocol.md):
    String target = "5f1d0c4c5a0f4e7a9b3c2d1e0f9a8b7c6d5e4f3a";
    m.put("SlotMigrating", new SlotTableEvent.SlotMigrating(5460, target, 7));
    m.put("SlotImporting", new SlotTableEvent.SlotImporting(5460, target, seen.nodeId(), 8));
    m.put("SlotStable", new SlotTableEvent.SlotStable(5460, "", 9));
    m.put("TableSnapshot.open", new SlotTableEvent.TableSnapshot(List.of(seen), List.of(assigned), 8, null,
        List.of(new SlotTableEvent.OpenSlot(5460, target, 7, target, seen.nodeId()))));
    SlotEvent.KeysHandedOver handedOver = new SlotEvent.KeysHandedOver(7, 0, List.of(b("{t}a"), b("{t}b")));
    m.put("KeysHandedOver", handedOver);
    m.put(
        "SlotSnapshot.handedOver",
        new SlotSnapshot(
            List.of(new SlotSnapshot.DbEntries(0, List.of(new SlotSnapshot.Entry(b("{t}a"), StringValue.of(b("1")), 0)))),
            null,
            null,
            List.of(handedOver)));
    GoldenLists.add(m);
    GoldenSets.add(m);
    GoldenZSets.add(m);
    GoldenStreams.add(m);
    return m;
  }

  @Test
  void everyPersistedTypeHasASample() {
    assertEquals(
        new java.util.TreeSet<>(KeyshardSerializer.MANIFESTS.values()),
        new java.util.TreeSet<>(samples().keySet().stream().map(n -> n.split("\\.")[0]).toList()));
    for (Object sample : samples().values()) {
      assertTrue(KeyshardSerializer.MANIFESTS.containsKey(sample.getClass()), sample.getClass().getName());
    }
  }

  @Test
  void goldenFilesStillReadAndWriteTheSameBytes() throws Exception {
    boolean write = Boolean.getBoolean("golden.write");
    for (Map.Entry<String, Object> e : samples().entrySet()) {
      String manifest = serializer.manifest(e.getValue());
      assertEquals(e.getKey().split("\\.")[0], manifest);
      byte[] now = serializer.toBinary(e.getValue());
      Path file = DIR.resolve(e.getKey() + ".v1.cbor");
      if (write && !Files.exists(file)) {
        Files.write(file, now);
      }
      assertTrue(Files.exists(file), "missing golden file " + file + " (see class comment)");
      byte[] golden = Files.readAllBytes(file);
      Object read = serializer.fromBinary(golden, manifest);
      assertEquals(e.getValue().getClass(), read.getClass());
      assertArrayEquals(golden, serializer.toBinary(read), manifest + " no longer round-trips");
      assertArrayEquals(golden, now, manifest + " is now written differently");
    }
  }

  @Test
  void rejectsNewerFormatVersions() {
    byte[] bytes = serializer.toBinary(new SlotEvent.DbFlushed(0));
    bytes[0] = (byte) (KeyshardSerializer.FORMAT_VERSION + 1);
    org.junit.jupiter.api.Assertions.assertThrows(
        java.io.NotSerializableException.class, () -> serializer.fromBinary(bytes, "DbFlushed"));
  }

  @Test
  void replayingEventsRebuildsTheSnapshotState() {
    SlotState live = new SlotState();
    long now = 1_000;
    List<SlotEvent> events =
        List.of(
            new SlotEvent.ValueSet(0, b("a"), b("1"), 0),
            new SlotEvent.ValueSet(0, b("b"), b("2"), 5_000),
            new SlotEvent.Appended(0, b("a"), b("23")),
            new SlotEvent.RangeSet(0, b("c"), 3, b("x")),
            new SlotEvent.KeyCopied(0, b("a"), 4, b("a")),
            new SlotEvent.KeyMoved(0, b("b"), 1),
            new SlotEvent.KeyRenamed(0, b("c"), b("d")),
            new SlotEvent.ExpirySet(4, b("a"), 9_000),
            new SlotEvent.KeysDeleted(0, List.of(b("missing"))));
    events.forEach(e -> live.apply(e, now));
    SlotState fromSnapshot =
        SlotState.fromSnapshot(
            (SlotSnapshot) roundTrip(live.toSnapshot()), now);
    assertEquals(describe(live), describe(fromSnapshot));
    assertEquals("123", new String(((StringValue) live.db(0).get(Bytes.of("a")).value).bytes()));
    assertArrayEquals(new byte[] {0, 0, 0, 'x'}, ((StringValue) live.db(0).get(Bytes.of("d")).value).bytes());
    assertEquals(9_000, live.db(4).get(Bytes.of("a")).expireAt);
    assertEquals(5_000, live.nextExpiry());
  }

  @Test
  void rollbackPutsBackWhatATransactionChanged() {
    SlotState s = new SlotState();
    s.apply(new SlotEvent.ValueSet(0, b("a"), b("old"), 7_000), 1);
    s.apply(new SlotEvent.ValueSet(0, b("gone"), b("g"), 0), 1);
    s.beginUndo();
    s.apply(new SlotEvent.ValueSet(0, b("a"), b("new"), 0), 2);
    s.apply(new SlotEvent.ValueSet(0, b("fresh"), b("f"), 0), 2);
    s.apply(new SlotEvent.KeysDeleted(0, List.of(b("gone"))), 2);
    s.apply(new SlotEvent.KeyMoved(0, b("a"), 3), 2);
    s.rollback(3);
    assertEquals("old", new String(((StringValue) s.db(0).get(Bytes.of("a")).value).bytes()));
    assertEquals(7_000, s.db(0).get(Bytes.of("a")).expireAt);
    assertEquals(7_000, s.nextExpiry());
    assertEquals(null, s.db(0).get(Bytes.of("fresh")));
    assertEquals(null, s.db(3).get(Bytes.of("a")));
    assertEquals("g", new String(((StringValue) s.db(0).get(Bytes.of("gone")).value).bytes()));
  }

  @Test
  void appliedTransactionsAreRememberedAboveTheWatermark() {
    SlotState s = new SlotState();
    KeyshardSerializer f = new KeyshardSerializer();
    s.apply(new SlotEvent.TxApplied(5, 1, List.of(f.nest(new SlotEvent.ValueSet(0, b("k"), b("v"), 0)))), 1);
    s.apply(new SlotEvent.TxApplied(9, 6, List.of()), 1);
    assertTrue(s.hasAppliedTx(9));
    assertTrue(!s.hasAppliedTx(5), "ids below the watermark are forgotten");
    SlotState restored = SlotState.fromSnapshot((SlotSnapshot) roundTrip(s.toSnapshot()), 1);
    assertTrue(restored.hasAppliedTx(9));
    assertEquals("v", new String(((StringValue) restored.db(0).get(Bytes.of("k")).value).bytes()));
  }

  /**
   * Two logs number their transactions independently: the same id from another log is another
   * transaction (applied, not taken for a repeat), and one log's watermark never makes the slot
   * forget another log's ids (or recovery would apply that share twice).
   */
  @Test
  void appliedTransactionsAreRememberedPerLog() {
    SlotState s = new SlotState();
    KeyshardSerializer f = new KeyshardSerializer();
    s.apply(new SlotEvent.TxApplied(100, 100, List.of(f.nest(new SlotEvent.ValueSet(0, b("a"), b("1"), 0))), "txlog-A"), 1);
    assertTrue(s.hasAppliedTx("txlog-A", 100));
    assertTrue(!s.hasAppliedTx("txlog-B", 100), "the same id in another log is another transaction");
    assertTrue(!s.hasAppliedTx(100), "nor one of the events that name no log");
    s.apply(new SlotEvent.TxApplied(200, 200, List.of(), "txlog-B"), 1);
    assertTrue(s.hasAppliedTx("txlog-A", 100), "log B's watermark says nothing of log A's ids");
    s.apply(new SlotEvent.TxApplied(7, 7, List.of()), 1);
    SlotState restored = SlotState.fromSnapshot((SlotSnapshot) roundTrip(s.toSnapshot()), 1);
    assertTrue(restored.hasAppliedTx("txlog-A", 100));
    assertTrue(restored.hasAppliedTx("txlog-B", 200));
    assertTrue(restored.hasAppliedTx(7));
    restored.apply(new SlotEvent.TxApplied(300, 150, List.of(), "txlog-A"), 1);
    assertTrue(!restored.hasAppliedTx("txlog-A", 100), "its own log's watermark forgets it");
    assertTrue(restored.hasAppliedTx("txlog-B", 200));
  }

  @Test
  void hashesSurviveSnapshotsAndCopiesAreDeep() {
    SlotState s = new SlotState();
    s.apply(new SlotEvent.HashFieldsSet(0, b("h"), List.of(b("a"), b("1"), b("b"), b("2"))), 1);
    s.apply(new SlotEvent.HashFieldsSet(2, b("big"), List.of(b("f"), b("v".repeat(100)))), 1);
    s.apply(new SlotEvent.HashFieldsDeleted(2, b("big"), List.of(b("f"))), 1);
    assertEquals(null, s.db(2).get(Bytes.of("big")), "a hash left empty is removed");
    s.apply(new SlotEvent.HashFieldsSet(2, b("big"), List.of(b("f"), b("v".repeat(100)))), 1);
    s.apply(new SlotEvent.HashFieldsSet(2, b("big"), List.of(b("f"), b("short"))), 1);
    SlotState restored = SlotState.fromSnapshot((SlotSnapshot) roundTrip(s.toSnapshot()), 1);
    HashValue h = (HashValue) restored.db(0).get(Bytes.of("h")).value;
    assertEquals("{a=1, b=2}", describe(h));
    assertEquals("listpack", h.encoding());
    HashValue big = (HashValue) restored.db(2).get(Bytes.of("big")).value;
    assertEquals("{f=short}", describe(big));
    assertEquals("hashtable", big.encoding(), "Redis never converts back");

    HashValue original = (HashValue) s.db(0).get(Bytes.of("h")).value;
    HashValue copy = (HashValue) SlotState.copyOf(original);
    copy.put(b("a"), b("changed"));
    copy.put(b("c"), b("3"));
    copy.remove(b("b"));
    assertEquals("{a=1, b=2}", describe(original));
    assertEquals("{a=changed, c=3}", describe(copy));

    // A snapshot taken earlier does not see later writes to the live hash.
    SlotSnapshot before = s.toSnapshot();
    s.apply(new SlotEvent.HashFieldsSet(0, b("h"), List.of(b("z"), b("26"))), 2);
    HashValue snapped = (HashValue) before.dbs().get(0).entries().get(0).value();
    assertEquals("{a=1, b=2}", describe(snapped));
  }

  @Test
  void rollbackRestoresAHashChangedInPlace() {
    SlotState s = new SlotState();
    s.apply(new SlotEvent.HashFieldsSet(0, b("h"), List.of(b("a"), b("1"))), 1);
    s.beginUndo();
    s.apply(new SlotEvent.HashFieldsSet(0, b("h"), List.of(b("a"), b("2"), b("b"), b("3"))), 2);
    s.apply(new SlotEvent.HashFieldsDeleted(0, b("h"), List.of(b("a"), b("b"))), 2);
    assertEquals(null, s.db(0).get(Bytes.of("h")));
    s.rollback(3);
    assertEquals("{a=1}", describe((HashValue) s.db(0).get(Bytes.of("h")).value));
  }

  private static String describe(HashValue h) {
    Map<String, String> m = new LinkedHashMap<>();
    h.fields().forEach((f, v) -> m.put(f.toString(), new String(v, StandardCharsets.UTF_8)));
    return m.toString();
  }

  private Object roundTrip(Object o) {
    try {
      return serializer.fromBinary(serializer.toBinary(o), serializer.manifest(o));
    } catch (java.io.NotSerializableException e) {
      throw new AssertionError(e);
    }
  }

  private static String describe(SlotState s) {
    StringBuilder sb = new StringBuilder();
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = s.db(db);
      if (ks == null) {
        continue;
      }
      int d = db;
      ks.entries().entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(
              e ->
                  sb.append(d).append(':').append(e.getKey()).append('=')
                      .append(new String(((StringValue) e.getValue().value).bytes(), StandardCharsets.ISO_8859_1))
                      .append('@').append(e.getValue().expireAt).append(';'));
    }
    return sb.toString();
  }
}
