package io.keyshard.node.slot;

import io.keyshard.persistence.ListEvent;
import io.keyshard.persistence.SetEvent;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.TxEvent;
import io.keyshard.persistence.ZSetEvent;
import java.util.List;

/**
 * What an event costs in the journal, estimated from the byte arrays it carries without
 * serializing it again (the journal plugin serializes it once, and does not tell). Used to
 * decide when a slot's events since its snapshot outweigh its state
 * (docs/decisions/2026-12-06-bounded-journal.md).
 *
 * <p>The estimate is the payload's arrays plus {@link #PER_ARRAY} for each (CBOR's length
 * header), {@link #PAYLOAD} for the format byte, the field names and the small fields, and
 * {@link #ROW} for what the journal stores beside the payload (persistence id, sequence
 * number, ordering, write time, writer id, manifest, and the key's index entries). {@code
 * EventBytesTest} checks the payload part against {@code KeyshardSerializer}'s real bytes.
 */
public final class EventBytes {
  static final int PER_ARRAY = 2;
  static final int PAYLOAD = 30;
  static final int ROW = 120;

  private EventBytes() {}

  /** Estimated journal bytes of one event: its row and its serialized payload. */
  public static long of(SlotEvent event) {
    return ROW + payload(event);
  }

  /** Estimated journal bytes of one transaction-log record. */
  public static long of(TxEvent event) {
    long n = ROW + PAYLOAD;
    if (event instanceof TxEvent.TxPrepared p) {
      for (TxEvent.SlotShare share : p.shares()) {
        n += 8 + nested(share.events());
      }
    }
    return n;
  }

  static long payload(SlotEvent e) {
    long n = PAYLOAD;
    if (e instanceof SlotEvent.ValueSet v) {
      n += arrays(v.key(), v.value());
    } else if (e instanceof SlotEvent.Appended a) {
      n += arrays(a.key(), a.suffix());
    } else if (e instanceof SlotEvent.RangeSet r) {
      n += arrays(r.key(), r.bytes());
    } else if (e instanceof SlotEvent.KeysDeleted d) {
      n += arrays(d.keys());
    } else if (e instanceof SlotEvent.KeysExpired d) {
      n += arrays(d.keys());
    } else if (e instanceof SlotEvent.KeysEvicted d) {
      n += arrays(d.keys());
    } else if (e instanceof SlotEvent.KeysHandedOver h) {
      n += arrays(h.keys());
    } else if (e instanceof SlotEvent.KeyRenamed r) {
      n += arrays(r.from(), r.to());
    } else if (e instanceof SlotEvent.KeyCopied c) {
      n += arrays(c.from(), c.to());
    } else if (e instanceof SlotEvent.KeyRestored r) {
      // A whole value of any type: its memory estimate is near enough (payload plus a little
      // per element), and RESTORE is rare.
      n += arrays(r.key()) + r.value().memoryBytes();
    } else if (e instanceof SlotEvent.HashFieldsSet h) {
      n += arrays(h.key()) + arrays(h.fieldsAndValues());
    } else if (e instanceof SlotEvent.HashFieldsDeleted h) {
      n += arrays(h.key()) + arrays(h.fields());
    } else if (e instanceof SlotEvent.TxApplied t) {
      n += nested(t.events());
    } else if (e instanceof ListEvent.Pushed p) {
      n += arrays(p.key()) + arrays(p.elements());
    } else if (e instanceof ListEvent.Set s) {
      n += arrays(s.key(), s.element());
    } else if (e instanceof ListEvent.Inserted i) {
      n += arrays(i.key(), i.element());
    } else if (e instanceof ListEvent.Removed r) {
      n += arrays(r.key(), r.element());
    } else if (e instanceof SetEvent.MembersAdded s) {
      n += arrays(s.key()) + arrays(s.members());
    } else if (e instanceof SetEvent.MembersRemoved s) {
      n += arrays(s.key()) + arrays(s.members());
    } else if (e instanceof ZSetEvent.ScoresSet z) {
      n += arrays(z.key()) + arrays(z.members()) + 9L * z.scores().length;
    } else if (e instanceof ZSetEvent.MembersRemoved z) {
      n += arrays(z.key()) + arrays(z.members());
    } else if (e instanceof SlotEvent.KeyChange k) {
      n += arrays(k.key()); // the rest is a few numbers (pop count, trim bounds, expiry)
    } else if (e instanceof SlotEvent.ExpirySet x) {
      n += arrays(x.key());
    } else if (e instanceof SlotEvent.KeyMoved m) {
      n += arrays(m.key());
    }
    return n;
  }

  private static long nested(List<TxEvent.Nested> events) {
    long n = 0;
    for (TxEvent.Nested ev : events) {
      n += PER_ARRAY + ev.bytes().length + ev.manifest().length() + 12;
    }
    return n;
  }

  private static long arrays(byte[]... arrays) {
    long n = 0;
    for (byte[] a : arrays) {
      n += PER_ARRAY + a.length;
    }
    return n;
  }

  private static long arrays(List<byte[]> arrays) {
    long n = 2;
    for (byte[] a : arrays) {
      n += PER_ARRAY + a.length;
    }
    return n;
  }
}
