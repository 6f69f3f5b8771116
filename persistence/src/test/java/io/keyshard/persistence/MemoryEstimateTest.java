package io.keyshard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The used-memory estimate maxmemory decides on: kept incrementally by every change, it must
 * equal the estimate of the same data rebuilt from scratch (a snapshot read back), and drop to
 * zero when the data goes.
 */
class MemoryEstimateTest {
  private final KeyshardSerializer serializer = new KeyshardSerializer();

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private long rebuilt(SlotState s) throws Exception {
    SlotSnapshot snap = s.toSnapshot();
    SlotSnapshot read =
        (SlotSnapshot) serializer.fromBinary(serializer.toBinary(snap), serializer.manifest(snap));
    return SlotState.fromSnapshot(read, 0).usedBytes();
  }

  @Test
  void stringsChargeKeyAndValueBytes() {
    SlotState s = new SlotState();
    s.apply(new SlotEvent.ValueSet(0, b("k"), new byte[1000], 0), 1);
    long one = s.usedBytes();
    assertTrue(one >= 1001 && one < 1300, "charge " + one);
    s.apply(new SlotEvent.ValueSet(0, b("k"), new byte[10], 0), 1);
    assertTrue(s.usedBytes() < one - 900, "overwrite replaces the charge: " + s.usedBytes());
    s.apply(new SlotEvent.Appended(0, b("k"), new byte[500]), 1);
    assertEquals(one - 1000 + 510, s.usedBytes());
    s.apply(new SlotEvent.KeysEvicted(0, List.of(b("k"))), 1);
    assertEquals(0, s.usedBytes());
  }

  @Test
  void randomChangesOfEveryTypeMatchAFreshEstimate() throws Exception {
    Random rnd = new Random(7);
    SlotState s = new SlotState();
    for (int i = 0; i < 3000; i++) {
      int db = rnd.nextInt(3);
      byte[] key = b("{t}" + rnd.nextInt(20));
      byte[] item = new byte[rnd.nextInt(100)];
      rnd.nextBytes(item);
      byte[] other = b("m" + rnd.nextInt(30));
      SlotEvent e =
          switch (rnd.nextInt(14)) {
            case 0 -> new SlotEvent.ValueSet(db, key, item, 0);
            case 1 -> new SlotEvent.HashFieldsSet(db, key, List.of(other, item));
            case 2 -> new SlotEvent.HashFieldsDeleted(db, key, List.of(other));
            case 3 -> new ListEvent.Pushed(db, key, rnd.nextBoolean(), List.of(item, other));
            case 4 -> new ListEvent.Popped(db, key, rnd.nextBoolean(), 1 + rnd.nextInt(3));
            case 5 -> new ListEvent.Trimmed(db, key, rnd.nextInt(3), rnd.nextInt(6));
            case 6 -> new ListEvent.Removed(db, key, rnd.nextInt(3) - 1, other);
            case 7 -> new SetEvent.MembersAdded(db, key, List.of(other, item));
            case 8 -> new SetEvent.MembersRemoved(db, key, List.of(other));
            case 9 -> new ZSetEvent.ScoresSet(db, key, List.of(other), new double[] {rnd.nextInt(5)});
            case 10 -> new ZSetEvent.MembersRemoved(db, key, List.of(other));
            case 11 -> new SlotEvent.KeysDeleted(db, List.of(key));
            case 12 -> new SlotEvent.KeyRenamed(db, key, b("{t}" + rnd.nextInt(20)));
            default -> new SlotEvent.KeyCopied(db, key, rnd.nextInt(3), b("{t}" + rnd.nextInt(20)));
          };
      try {
        s.apply(e, 1);
      } catch (ClassCastException wrongType) {
        // A random event may not fit the key's type; the command layer would have refused it.
        s.apply(new SlotEvent.KeysDeleted(db, List.of(key)), 1);
      }
      if (i % 500 == 499) {
        assertEquals(rebuilt(s), s.usedBytes(), "after " + (i + 1) + " changes");
      }
    }
    assertTrue(s.usedBytes() > 0);
    assertEquals(rebuilt(s), s.usedBytes());
    List<byte[]> all = new ArrayList<>();
    for (int db = 0; db < 3; db++) {
      if (s.db(db) != null) {
        s.db(db).entries().keySet().forEach(k -> all.add(k.array()));
        s.apply(new SlotEvent.KeysDeleted(db, all), 1);
        all.clear();
      }
    }
    assertEquals(0, s.usedBytes());
  }

  @Test
  void undoAndFlushKeepTheEstimate() throws Exception {
    SlotState s = new SlotState();
    s.apply(new SlotEvent.HashFieldsSet(0, b("h"), List.of(b("f"), b("v"))), 1);
    long before = s.usedBytes();
    s.beginUndo();
    s.apply(new SlotEvent.HashFieldsSet(0, b("h"), List.of(b("g"), new byte[300])), 1);
    s.apply(new SlotEvent.ValueSet(1, b("x"), new byte[50], 0), 1);
    assertTrue(s.usedBytes() > before + 350);
    s.rollback(1);
    assertEquals(before, s.usedBytes());
    assertEquals(rebuilt(s), s.usedBytes());
    s.apply(new SlotEvent.DbFlushed(-1), 1);
    assertEquals(0, s.usedBytes());
  }
}
