package io.keyshard.persistence.rdb;

import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.StreamValue;
import io.keyshard.persistence.ZSetValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A value in the RDB encoding Redis 7.0 writes for it, chosen by the value's own encoding (the
 * one OBJECT ENCODING reports), so that Redis loads it into that same encoding: strings as
 * strings (integers in their short forms), lists as a quicklist of listpacks, sets as an intset
 * or a plain set, hashes and sorted sets as a listpack or in full (sorted sets with binary
 * scores, greatest first, as Redis writes them).
 */
public final class RdbValueWriter {
  private RdbValueWriter() {}

  /**
   * A quicklist node takes another element while its listpack stays within 8 KB
   * (list-max-listpack-size -2, Redis's default) counting 8 bytes of overhead per element.
   */
  static final int NODE_BYTES = 8192;

  private static final int ELEMENT_OVERHEAD = 8;

  /** Elements this large get a node of their own, stored plain (Redis's packed_threshold). */
  static final int PLAIN_THRESHOLD = 1 << 30;

  /** The object type byte, then the value. */
  static void write(Value value, RdbOutput out) {
    if (value instanceof StringValue s) {
      out.writeByte(RdbType.STRING);
      out.writeString(s.bytes());
    } else if (value instanceof ListValue l) {
      writeList(l, out);
    } else if (value instanceof SetValue s) {
      writeSet(s, out);
    } else if (value instanceof HashValue h) {
      writeHash(h, out);
    } else if (value instanceof ZSetValue z) {
      writeZSet(z, out);
    } else if (value instanceof StreamValue st) {
      StreamRdb.write(st, out);
    } else {
      throw new IllegalArgumentException("no RDB encoding for " + value.getClass());
    }
  }

  /** A rough size to start the buffer with, so a large value is not copied while it grows. */
  static int sizeHint(Value value) {
    return (int) Math.min(Integer.MAX_VALUE - 64, Math.max(64, value.memoryBytes()));
  }

  private static void writeList(ListValue l, RdbOutput out) {
    // Filled as RPUSH fills a quicklist, so a list built that way dumps as Redis dumps it.
    List<byte[]> nodes = new ArrayList<>();
    List<Boolean> plain = new ArrayList<>();
    Listpack.Writer node = null;
    for (int i = 0; i < l.size(); i++) {
      byte[] e = l.get(i);
      if (e.length >= PLAIN_THRESHOLD) {
        if (node != null) {
          nodes.add(node.toBytes());
          plain.add(false);
          node = null;
        }
        nodes.add(e);
        plain.add(true);
        continue;
      }
      if (node != null && (long) node.bytes() + e.length + ELEMENT_OVERHEAD > NODE_BYTES) {
        nodes.add(node.toBytes());
        plain.add(false);
        node = null;
      }
      if (node == null) {
        node = new Listpack.Writer();
      }
      node.append(e);
    }
    if (node != null) {
      nodes.add(node.toBytes());
      plain.add(false);
    }
    out.writeByte(RdbType.LIST_QUICKLIST_2);
    out.writeLen(nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      out.writeLen(plain.get(i) ? RdbType.CONTAINER_PLAIN : RdbType.CONTAINER_PACKED);
      out.writeString(nodes.get(i));
    }
  }

  private static void writeSet(SetValue s, RdbOutput out) {
    if (s.isIntset()) {
      long[] values = new long[s.size()];
      int i = 0;
      for (Bytes m : s.members()) {
        values[i++] = CanonicalLong.value(m.array());
      }
      Arrays.sort(values);
      out.writeByte(RdbType.SET_INTSET);
      out.writeString(Intset.write(values));
    } else {
      out.writeByte(RdbType.SET);
      out.writeLen(s.size());
      for (Bytes m : s.members()) {
        out.writeString(m.array());
      }
    }
  }

  private static void writeHash(HashValue h, RdbOutput out) {
    if (h.encoding().equals("listpack")) {
      Listpack.Writer lp = new Listpack.Writer();
      for (Map.Entry<Bytes, byte[]> e : h.fields().entrySet()) {
        lp.append(e.getKey().array());
        lp.append(e.getValue());
      }
      out.writeByte(RdbType.HASH_LISTPACK);
      out.writeString(lp.toBytes());
    } else {
      out.writeByte(RdbType.HASH);
      out.writeLen(h.size());
      for (Map.Entry<Bytes, byte[]> e : h.fields().entrySet()) {
        out.writeString(e.getKey().array());
        out.writeString(e.getValue());
      }
    }
  }

  private static void writeZSet(ZSetValue z, RdbOutput out) {
    if (z.encoding().equals("listpack")) {
      Listpack.Writer lp = new Listpack.Writer();
      for (ZSetValue.Node n = z.first(); n != null; n = n.next()) {
        lp.append(n.member());
        appendScore(lp, n.score());
      }
      out.writeByte(RdbType.ZSET_LISTPACK);
      out.writeString(lp.toBytes());
    } else {
      out.writeByte(RdbType.ZSET_2);
      out.writeLen(z.size());
      // Greatest first: Redis's loader then inserts each at the head of its skip list.
      for (ZSetValue.Node n = z.last(); n != null; n = n.prev()) {
        out.writeString(n.member());
        out.writeBinaryDouble(n.score());
      }
    }
  }

  /** A listpack score as zzlInsertAt writes it: an integer when exact and not huge, else text. */
  private static void appendScore(Listpack.Writer lp, double score) {
    if (score >= (double) (-Long.MAX_VALUE / 2) && score <= (double) (Long.MAX_VALUE / 2)) {
      long asLong = (long) score;
      if (asLong == score) {
        lp.appendInteger(asLong);
        return;
      }
    }
    lp.append(Doubles.format(score));
  }
}
