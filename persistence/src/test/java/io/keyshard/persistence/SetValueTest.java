package io.keyshard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SetValueTest {
  private final KeyshardSerializer serializer = new KeyshardSerializer();

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String names(List<Bytes> members) {
    return members.stream().map(Bytes::toString).collect(Collectors.joining(","));
  }

  @Test
  void integersOnlyAsRedisString2llReadsThem() {
    for (String ok : List.of("0", "-1", "9223372036854775807", "-9223372036854775808", "42")) {
      assertTrue(SetValue.isInteger(b(ok)), ok);
    }
    for (String no : List.of("", "-", "-0", "007", "+1", " 1", "1 ", "9223372036854775808",
        "-9223372036854775809", "1.0", "0x1", "12345678901234567890123")) {
      assertFalse(SetValue.isInteger(b(no)), no);
    }
  }

  @Test
  void intsetUntilANonIntegerOrTooManyAndNeverBack() {
    SetValue s = new SetValue();
    for (int i = SetValue.INTSET_MAX_ENTRIES; i > 0; i--) {
      s.add(b(Integer.toString(i - 200)));
    }
    assertEquals("intset", s.encoding());
    assertEquals("-199,-198,-197", names(s.ordered().subList(0, 3)));
    s.add(b("1000"));
    assertEquals("hashtable", s.encoding(), "513 members");
    s.remove(b("1000"));
    assertEquals("hashtable", s.encoding());

    SetValue t = new SetValue();
    t.add(b("5"));
    t.add(b("-0"));
    assertEquals("hashtable", t.encoding());
    t.remove(b("-0"));
    assertEquals("hashtable", t.encoding());
    assertFalse(t.isIntset());
  }

  @Test
  void swapRemoveKeepsEveryMemberReachable() {
    SetValue s = new SetValue();
    for (int i = 0; i < 100; i++) {
      assertTrue(s.add(b("m" + i)));
    }
    assertFalse(s.add(b("m3")));
    for (int i = 0; i < 100; i += 3) {
      assertTrue(s.remove(b("m" + i)));
    }
    assertFalse(s.remove(b("m0")));
    TreeSet<String> seen = new TreeSet<>();
    for (int i = 0; i < s.size(); i++) {
      seen.add(s.get(i).toString());
      assertTrue(s.contains(s.get(i)));
    }
    assertEquals(66, seen.size());
    assertEquals(66, s.members().size());
    assertFalse(seen.contains("m99"));
    assertTrue(seen.contains("m98"));
  }

  @Test
  void copiesAreDeepAndSnapshotsKeepTheEncoding() throws Exception {
    SlotState state = new SlotState();
    state.apply(new SetEvent.MembersAdded(0, b("s"), List.of(b("3"), b("1"), b("2"))), 1);
    state.apply(new SetEvent.MembersAdded(0, b("h"), List.of(b("x"), b("1"))), 1);
    state.apply(new SetEvent.MembersRemoved(0, b("h"), List.of(b("x"))), 1);
    state.apply(new SlotEvent.ExpirySet(0, b("s"), 9_000), 1);
    state.apply(new SetEvent.MembersAdded(0, b("s"), List.of(b("4"))), 2);
    assertEquals(9_000, state.db(0).get(Bytes.of("s")).expireAt, "changing in place keeps the expiry");

    SlotSnapshot before = state.toSnapshot();
    SetValue live = (SetValue) state.db(0).get(Bytes.of("s")).value;
    SetValue copy = live.copy();
    copy.add(b("x"));
    copy.remove(b("1"));
    assertEquals("1,2,3,4", names(live.ordered()));
    assertEquals("intset", live.encoding());
    state.apply(new SetEvent.MembersAdded(0, b("s"), List.of(b("5"))), 3);
    SetValue snapped = (SetValue) before.dbs().get(0).entries().stream()
        .filter(e -> new String(e.key(), StandardCharsets.UTF_8).equals("s")).findFirst().get().value();
    assertEquals("1,2,3,4", names(snapped.ordered()));

    SlotSnapshot read = (SlotSnapshot) serializer.fromBinary(
        serializer.toBinary(state.toSnapshot()), "SlotSnapshot");
    SlotState restored = SlotState.fromSnapshot(read, 4);
    SetValue s = (SetValue) restored.db(0).get(Bytes.of("s")).value;
    SetValue h = (SetValue) restored.db(0).get(Bytes.of("h")).value;
    assertEquals("1,2,3,4,5", names(s.ordered()));
    assertEquals("intset", s.encoding());
    assertEquals("1", names(h.ordered()));
    assertEquals("hashtable", h.encoding());
    assertEquals(9_000, restored.db(0).get(Bytes.of("s")).expireAt);
  }

  @Test
  void aSetLeftEmptyIsRemovedAndRollbackRestoresIt() {
    SlotState state = new SlotState();
    state.apply(new SetEvent.MembersAdded(0, b("s"), List.of(b("a"), b("b"))), 1);
    state.beginUndo();
    state.apply(new SetEvent.MembersRemoved(0, b("s"), List.of(b("a"), b("b"), b("zz"))), 2);
    assertNull(state.db(0).get(Bytes.of("s")));
    state.rollback(3);
    SetValue s = (SetValue) state.db(0).get(Bytes.of("s")).value;
    assertEquals(new TreeSet<>(List.of("a", "b")),
        s.members().stream().map(Bytes::toString).collect(Collectors.toCollection(TreeSet::new)));
    state.apply(new SetEvent.MembersRemoved(1, b("none"), List.of(b("a"))), 4);
    assertNull(state.db(1));
  }
}
