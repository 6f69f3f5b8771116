package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.ListEvent;
import io.keyshard.persistence.SetEvent;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.TxEvent;
import io.keyshard.persistence.ZSetEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link EventBytes}' payload estimate against the bytes {@link KeyshardSerializer} really
 * writes (the journal stores exactly those): close enough that a slot snapshots when its events
 * really outweigh its state, never off by more than a few dozen bytes per event.
 */
class EventBytesTest {
  private final KeyshardSerializer serializer = new KeyshardSerializer();
  private final Random random = new Random(7);

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private List<byte[]> list(int n, int size) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(bytes(size));
    }
    return out;
  }

  @Test
  void theEstimateIsWithinAFewDozenBytesOfTheSerializedEvent() {
    List<SlotEvent> events = new ArrayList<>();
    for (int size : new int[] {1, 10, 100, 1000, 10_000}) {
      events.add(new SlotEvent.ValueSet(0, bytes(12), bytes(size), 0));
      events.add(new SlotEvent.ValueSet(3, bytes(12), bytes(size), System.currentTimeMillis(), 1));
      events.add(new SlotEvent.Appended(0, bytes(12), bytes(size)));
      events.add(new SlotEvent.HashFieldsSet(0, bytes(8), list(10, size)));
      events.add(new ListEvent.Pushed(0, bytes(8), true, list(5, size)));
      events.add(new SetEvent.MembersAdded(0, bytes(8), list(5, size)));
      events.add(new SlotEvent.KeysDeleted(0, list(3, Math.min(size, 100))));
    }
    events.add(new SlotEvent.ExpirySet(0, bytes(12), System.currentTimeMillis()));
    events.add(new SlotEvent.KeyRenamed(0, bytes(12), bytes(14)));
    events.add(new ZSetEvent.ScoresSet(0, bytes(8), list(20, 10), new double[20]));
    events.add(new ListEvent.Popped(0, bytes(8), false, 3));
    events.add(new SlotEvent.DbFlushed(0));
    List<TxEvent.Nested> nested = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      nested.add(serializer.nest(new SlotEvent.ValueSet(0, bytes(10), bytes(200), 0)));
    }
    events.add(new SlotEvent.TxApplied(42, 40, nested));

    StringBuilder table = new StringBuilder();
    for (SlotEvent e : events) {
      long real = serializer.toBinary(e).length;
      long estimate = EventBytes.payload(e);
      table.append(String.format("%-22s real %6d estimate %6d%n", e.getClass().getSimpleName(), real, estimate));
      // Off by at most 48 bytes, or 10% for events with many elements.
      assertTrue(Math.abs(estimate - real) <= Math.max(48, real / 10),
          e.getClass().getSimpleName() + ": real " + real + ", estimated " + estimate);
    }
    System.out.print(table);
  }
}
