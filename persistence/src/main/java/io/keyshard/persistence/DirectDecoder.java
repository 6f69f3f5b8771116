package io.keyshard.persistence;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the two formats a recovery reads most, {@code ValueSet} events and snapshots whose keys
 * hold strings, straight from their CBOR: Jackson's data binding spends most of a restart's CPU
 * on its per-call setup, not on the bytes (docs/decisions/2026-12-06-recovery-at-start.md).
 *
 * <p>It takes exactly what {@link KeyshardSerializer} writes (Jackson's CBOR: maps of
 * indefinite length, arrays of definite length, byte strings, integers) and answers null for
 * anything else, an unknown or repeated field, another value type, a null, a tag, a type id
 * that is not the first field, whereupon KeyshardSerializer reads the bytes with Jackson. So
 * whatever it answers is what Jackson would have given; {@code DirectDecoderTest} checks that
 * on the golden files and on random and damaged inputs.
 */
final class DirectDecoder {
  private DirectDecoder() {}

  /** Thrown on any byte this reader does not take; caught below, never escapes. */
  private static final class NotDirect extends RuntimeException {
    NotDirect() {
      super(null, null, false, false);
    }
  }

  private static final NotDirect NOT_DIRECT = new NotDirect();

  private static final byte[] DB = ascii("db");
  private static final byte[] KEY = ascii("key");
  private static final byte[] VALUE = ascii("value");
  private static final byte[] EXPIRE_AT = ascii("expireAt");
  private static final byte[] HINTS = ascii("hints");
  private static final byte[] DBS = ascii("dbs");
  private static final byte[] APPLIED_TX = ascii("appliedTx");
  private static final byte[] APPLIED_TX_BY_LOG = ascii("appliedTxByLog");
  private static final byte[] LOG = ascii("log");
  private static final byte[] TX_IDS = ascii("txIds");
  private static final byte[] ENTRIES = ascii("entries");
  private static final byte[] TYPE = ascii("t");
  private static final byte[] STR = ascii("str");
  private static final byte[] BYTES = ascii("bytes");
  private static final byte[] RAW = ascii("raw");

  /**
   * The object of {@code manifest} in {@code length} bytes of CBOR at {@code offset} (after the
   * format version byte), or null if this reader does not take it.
   */
  static Object decode(String manifest, byte[] buffer, int offset, int length) {
    try {
      Reader r = new Reader(buffer, offset, offset + length);
      return switch (manifest) {
        case "ValueSet" -> r.valueSet();
        case "SlotSnapshot" -> r.slotSnapshot();
        default -> null;
      };
    } catch (NotDirect | ArrayIndexOutOfBoundsException e) {
      return null;
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static final class Reader {
    private final byte[] b;
    private int at;
    private final int end;

    Reader(byte[] b, int at, int end) {
      this.b = b;
      this.at = at;
      this.end = end;
    }

    // ---- the formats ----

    SlotEvent.ValueSet valueSet() {
      int db = 0;
      byte[] key = null;
      byte[] value = null;
      long expireAt = 0;
      Integer hints = null;
      int seen = 0;
      for (int left = mapStart(); more(left); left--) {
        int field = field(DB, KEY, VALUE, EXPIRE_AT, HINTS);
        seen = once(seen, field);
        switch (field) {
          case 0 -> db = intValue();
          case 1 -> key = byteString();
          case 2 -> value = byteString();
          case 3 -> expireAt = longValue();
          default -> hints = intValue();
        }
      }
      return new SlotEvent.ValueSet(db, key, value, expireAt, hints);
    }

    SlotSnapshot slotSnapshot() {
      List<SlotSnapshot.DbEntries> dbs = null;
      List<Long> appliedTx = null;
      List<SlotSnapshot.LogTx> byLog = null;
      int seen = 0;
      for (int left = mapStart(); more(left); left--) {
        int field = field(DBS, APPLIED_TX, APPLIED_TX_BY_LOG);
        seen = once(seen, field);
        if (field == 0) {
          int n = arrayStart();
          dbs = new ArrayList<>(Math.min(n, 16));
          for (int i = 0; i < n; i++) {
            dbs.add(dbEntries());
          }
        } else if (field == 1) {
          appliedTx = longs();
        } else {
          int n = arrayStart();
          byLog = new ArrayList<>(Math.min(n, 64));
          for (int i = 0; i < n; i++) {
            byLog.add(logTx());
          }
        }
      }
      return new SlotSnapshot(dbs, appliedTx, byLog);
    }

    private List<Long> longs() {
      int n = arrayStart();
      List<Long> out = new ArrayList<>(Math.min(n, 1024));
      for (int i = 0; i < n; i++) {
        out.add(longValue());
      }
      return out;
    }

    private SlotSnapshot.LogTx logTx() {
      String log = null;
      List<Long> txIds = null;
      int seen = 0;
      for (int left = mapStart(); more(left); left--) {
        int field = field(LOG, TX_IDS);
        seen = once(seen, field);
        if (field == 0) {
          log = asciiString();
        } else {
          txIds = longs();
        }
      }
      return new SlotSnapshot.LogTx(log, txIds);
    }

    private SlotSnapshot.DbEntries dbEntries() {
      int db = 0;
      List<SlotSnapshot.Entry> entries = null;
      int seen = 0;
      for (int left = mapStart(); more(left); left--) {
        int field = field(DB, ENTRIES);
        seen = once(seen, field);
        if (field == 0) {
          db = intValue();
        } else {
          int n = arrayStart();
          entries = new ArrayList<>(Math.min(n, 4096));
          for (int i = 0; i < n; i++) {
            entries.add(entry());
          }
        }
      }
      return new SlotSnapshot.DbEntries(db, entries);
    }

    private SlotSnapshot.Entry entry() {
      byte[] key = null;
      Value value = null;
      long expireAt = 0;
      int seen = 0;
      for (int left = mapStart(); more(left); left--) {
        int field = field(KEY, VALUE, EXPIRE_AT);
        seen = once(seen, field);
        switch (field) {
          case 0 -> key = byteString();
          case 1 -> value = stringValue();
          default -> expireAt = longValue();
        }
      }
      return new SlotSnapshot.Entry(key, value, expireAt);
    }

    /** A Value whose type id (first, as Jackson writes it) is "str"; anything else: not here. */
    private StringValue stringValue() {
      int left = mapStart();
      if (!more(left) || field(TYPE) != 0 || field(STR) != 0) {
        throw NOT_DIRECT;
      }
      left--;
      byte[] bytes = null;
      boolean raw = false;
      Integer hints = null;
      int seen = 0;
      for (; more(left); left--) {
        int field = field(BYTES, RAW, HINTS);
        seen = once(seen, field);
        switch (field) {
          case 0 -> bytes = byteString();
          case 1 -> raw = bool();
          default -> hints = intValue();
        }
      }
      return new StringValue(bytes, raw, hints);
    }

    // ---- CBOR ----

    private int ib() {
      if (at >= end) {
        throw NOT_DIRECT;
      }
      return b[at++] & 0xFF;
    }

    /** The argument of an item whose initial byte was {@code ib}; -1 for indefinite length. */
    private long argument(int ib) {
      int info = ib & 0x1F;
      if (info < 24) {
        return info;
      }
      switch (info) {
        case 24:
          return ib();
        case 25:
          return ((long) ib() << 8) | ib();
        case 26:
          return ((long) ib() << 24) | ((long) ib() << 16) | ((long) ib() << 8) | ib();
        case 27:
          long v = 0;
          for (int i = 0; i < 8; i++) {
            v = (v << 8) | ib();
          }
          return v;
        case 31:
          return -1;
        default:
          throw NOT_DIRECT;
      }
    }

    /** Entries of a map, or -1 for one of indefinite length. */
    private int mapStart() {
      int ib = ib();
      if (ib >> 5 != 5) {
        throw NOT_DIRECT;
      }
      long n = argument(ib);
      if (n > end - at) {
        throw NOT_DIRECT;
      }
      return (int) n;
    }

    /** Whether a map with {@code left} entries (negative: indefinite) has another one. */
    private boolean more(int left) {
      if (left >= 0) {
        return left > 0;
      }
      if (at < end && (b[at] & 0xFF) == 0xFF) {
        at++;
        return false;
      }
      return true;
    }

    private int arrayStart() {
      int ib = ib();
      long n = argument(ib);
      // Jackson writes arrays with their length; one of indefinite length is not taken here.
      if (ib >> 5 != 4 || n < 0 || n > end - at) {
        throw NOT_DIRECT;
      }
      return (int) n;
    }

    /** The index among {@code names} of the text string at hand; anything else: not here. */
    private int field(byte[]... names) {
      int ib = ib();
      if (ib >> 5 != 3) {
        throw NOT_DIRECT;
      }
      long n = argument(ib);
      if (n < 0 || n > end - at) {
        throw NOT_DIRECT;
      }
      int length = (int) n;
      for (int i = 0; i < names.length; i++) {
        if (names[i].length == length && Arrays.equals(b, at, at + length, names[i], 0, length)) {
          at += length;
          return i;
        }
      }
      throw NOT_DIRECT; // an unknown field: Jackson ignores it, and it may matter to a newer reader
    }

    /** Marks {@code field} seen; a field twice is not taken here. */
    private static int once(int seen, int field) {
      if ((seen & (1 << field)) != 0) {
        throw NOT_DIRECT;
      }
      return seen | (1 << field);
    }

    private long longValue() {
      int ib = ib();
      int major = ib >> 5;
      if (major != 0 && major != 1) {
        throw NOT_DIRECT;
      }
      long v = argument(ib);
      if (v < 0) {
        throw NOT_DIRECT; // beyond a signed long (or indefinite): Jackson's BigInteger path
      }
      return major == 0 ? v : -1 - v;
    }

    private int intValue() {
      long v = longValue();
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        throw NOT_DIRECT;
      }
      return (int) v;
    }

    private boolean bool() {
      int ib = ib();
      if (ib == 0xF4) {
        return false;
      }
      if (ib == 0xF5) {
        return true;
      }
      throw NOT_DIRECT;
    }

    /** A text string of ASCII characters only (a log's persistence id); anything else: not here. */
    private String asciiString() {
      int ib = ib();
      long n = argument(ib);
      if (ib >> 5 != 3 || n < 0 || n > end - at) {
        throw NOT_DIRECT;
      }
      for (int i = at; i < at + (int) n; i++) {
        if (b[i] < 0) {
          throw NOT_DIRECT;
        }
      }
      String out = new String(b, at, (int) n, StandardCharsets.US_ASCII);
      at += (int) n;
      return out;
    }

    private byte[] byteString() {
      int ib = ib();
      long n = argument(ib);
      if (ib >> 5 != 2 || n < 0 || n > end - at) {
        throw NOT_DIRECT;
      }
      byte[] out = Arrays.copyOfRange(b, at, at + (int) n);
      at += (int) n;
      return out;
    }
  }
}
