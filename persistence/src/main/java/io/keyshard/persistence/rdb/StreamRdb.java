package io.keyshard.persistence.rdb;

import io.keyshard.persistence.StreamId;
import io.keyshard.persistence.StreamValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A stream in Redis 7.0's RDB form, STREAM_LISTPACKS_2 (19; 15 is read too). Facts from Redis
 * 7.0.15's rdb.c and t_stream.c: the nodes (16-byte big-endian master id, then the listpack:
 * live count, deleted count, master field count, master fields, 0, then each entry as flags,
 * ms and seq deltas from the master id, the field count unless SAMEFIELDS, fields (unless
 * SAMEFIELDS) and values, and the entry's element count); length, last id, first id, max
 * deleted id, entries added (version 2); the groups by name with last id, entries read
 * (version 2), the PEL (raw ids, 8-byte little-endian delivery time, count) and the consumers
 * (name, seen time, their raw ids). Lengths are unsigned 64-bit here (an id's ms may pass 2^63,
 * entries read is -1 when unknown).
 *
 * <p>Keyshard writes each node with its live entries only (Redis also keeps deleted ones
 * flagged in place), so a Redis loading it has the same entries, counters and groups.
 */
final class StreamRdb {
  private StreamRdb() {}

  private static final int FLAG_DELETED = 1;
  private static final int FLAG_SAMEFIELDS = 2;

  static void write(StreamValue s, RdbOutput out) {
    out.writeByte(RdbType.STREAM_LISTPACKS_2);
    writeBody(s, out);
  }

  /** The value after its type byte (an RDB file has the key in between). */
  static void writeBody(StreamValue s, RdbOutput out) {
    out.writeLen(s.nodes().size());
    for (StreamValue.Node node : s.nodes().values()) {
      out.writeString(rawId(node.master()));
      out.writeString(listpack(s, node));
    }
    writeLen(out, s.length());
    writeId(out, s.lastId());
    writeId(out, s.firstId());
    writeId(out, s.maxDeletedId());
    writeLen(out, s.entriesAdded());
    out.writeLen(s.groups().size());
    s.groups()
        .forEach(
            (name, g) -> {
              out.writeString(name.array());
              writeId(out, g.lastId());
              writeLen(out, g.entriesRead());
              out.writeLen(g.pel().size());
              g.pel()
                  .forEach(
                      (id, nack) -> {
                        out.write(rawId(id));
                        out.writeLittleEndian(nack.deliveryTime(), 8);
                        writeLen(out, nack.deliveryCount());
                      });
              out.writeLen(g.consumers().size());
              for (StreamValue.Consumer c : g.consumers().values()) {
                out.writeString(c.name().array());
                out.writeLittleEndian(c.seenTime(), 8);
                out.writeLen(c.pending().size());
                c.pending().forEach(id -> out.write(rawId(id)));
              }
            });
  }

  private static byte[] listpack(StreamValue s, StreamValue.Node node) {
    Map<StreamId, byte[][]> entries =
        s.entries().subMap(node.master(), true, node.last(), true);
    Listpack.Writer lp = new Listpack.Writer();
    byte[][] fields = node.fields();
    lp.appendInteger(entries.size());
    lp.appendInteger(0);
    lp.appendInteger(fields.length);
    for (byte[] f : fields) {
      lp.append(f);
    }
    lp.appendInteger(0);
    for (Map.Entry<StreamId, byte[][]> e : entries.entrySet()) {
      byte[][] fv = e.getValue();
      int n = fv.length / 2;
      boolean same = n == fields.length;
      for (int i = 0; same && i < n; i++) {
        same = Arrays.equals(fields[i], fv[2 * i]);
      }
      lp.appendInteger(same ? FLAG_SAMEFIELDS : 0);
      lp.appendInteger(e.getKey().ms() - node.master().ms());
      lp.appendInteger(e.getKey().seq() - node.master().seq());
      if (!same) {
        lp.appendInteger(n);
      }
      for (int i = 0; i < n; i++) {
        if (!same) {
          lp.append(fv[2 * i]);
        }
        lp.append(fv[2 * i + 1]);
      }
      lp.appendInteger(n + 3 + (same ? 0 : n + 1));
    }
    return lp.toBytes();
  }

  private static byte[] rawId(StreamId id) {
    byte[] b = new byte[16];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (id.ms() >>> (56 - 8 * i));
      b[8 + i] = (byte) (id.seq() >>> (56 - 8 * i));
    }
    return b;
  }

  private static StreamId fromRaw(byte[] b) {
    long ms = 0;
    long seq = 0;
    for (int i = 0; i < 8; i++) {
      ms = (ms << 8) | (b[i] & 0xff);
      seq = (seq << 8) | (b[8 + i] & 0xff);
    }
    return new StreamId(ms, seq);
  }

  private static void writeId(RdbOutput out, StreamId id) {
    writeLen(out, id.ms());
    writeLen(out, id.seq());
  }

  /** rdbSaveLen of an unsigned 64-bit value. */
  private static void writeLen(RdbOutput out, long v) {
    if (v >= 0) {
      out.writeLen(v);
    } else {
      out.writeByte(0x81);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.writeByte((int) (v >>> shift));
      }
    }
  }

  private static long readLen(RdbInput in) throws RdbFormatException {
    int first = in.peekUnsignedByte();
    if (first == 0x81) {
      in.readUnsignedByte();
      return in.readBigEndianUnsigned(8);
    }
    long v = in.readLen();
    if (in.wasEncoded()) {
      throw new RdbFormatException("encoded value where a length belongs");
    }
    return v;
  }

  private static StreamId readId(RdbInput in) throws RdbFormatException {
    return new StreamId(readLen(in), readLen(in));
  }

  private static byte[] readRawId(RdbInput in) throws RdbFormatException {
    byte[] b = new byte[16];
    for (int i = 0; i < 16; i++) {
      b[i] = (byte) in.readUnsignedByte();
    }
    return b;
  }

  static StreamValue read(RdbInput in, boolean v2) throws RdbFormatException {
    int nodeCount = in.readCount(2);
    List<StreamValue.Node> nodes = new ArrayList<>();
    List<StreamId> ids = new ArrayList<>();
    List<byte[][]> values = new ArrayList<>();
    StreamId previous = null;
    for (int k = 0; k < nodeCount; k++) {
      byte[] key = in.readString();
      check(key.length == 16, "stream node key is not an id");
      StreamId master = fromRaw(key);
      check(previous == null || master.after(previous), "stream nodes out of order");
      byte[] blob = in.readString();
      List<byte[]> lp = Listpack.read(blob);
      check(!lp.isEmpty(), "empty listpack inside stream");
      Cursor c = new Cursor(lp);
      long live = c.integer();
      long deleted = c.integer();
      int numFields = (int) c.count();
      byte[][] fields = new byte[numFields][];
      for (int i = 0; i < numFields; i++) {
        fields[i] = c.next();
      }
      check(c.integer() == 0, "master entry not terminated");
      long liveSeen = 0;
      long deletedSeen = 0;
      StreamId last = null;
      while (c.more()) {
        long flags = c.integer();
        StreamId id = new StreamId(master.ms() + c.integer(), master.seq() + c.integer());
        check(!id.before(master) && (last == null || id.after(last)), "stream entries out of order");
        int n = (flags & FLAG_SAMEFIELDS) != 0 ? numFields : (int) c.count();
        byte[][] fv = new byte[2 * n][];
        for (int i = 0; i < n; i++) {
          fv[2 * i] = (flags & FLAG_SAMEFIELDS) != 0 ? fields[i] : c.next();
          fv[2 * i + 1] = c.next();
        }
        long lpCount = c.integer();
        check(lpCount == n + 3 + ((flags & FLAG_SAMEFIELDS) != 0 ? 0 : n + 1), "bad entry count");
        last = id;
        if ((flags & FLAG_DELETED) != 0) {
          deletedSeen++;
        } else {
          liveSeen++;
          ids.add(id);
          values.add(fv);
        }
      }
      check(last != null && liveSeen == live && deletedSeen == deleted, "stream node counts");
      nodes.add(StreamValue.node(master, fields, (int) live, (int) deleted, last, blob.length));
      previous = last;
    }
    long length = readLen(in);
    StreamId lastId = readId(in);
    StreamId first;
    StreamId maxDeleted;
    long added;
    if (v2) {
      first = readId(in);
      maxDeleted = readId(in);
      added = readLen(in);
    } else {
      first = ids.isEmpty() ? StreamId.MIN : ids.get(0);
      maxDeleted = StreamId.MIN;
      added = length;
    }
    check(length == ids.size(), "stream length inconsistent with its entries");
    check(ids.isEmpty() || !ids.get(ids.size() - 1).after(lastId), "entry after the last id");
    StreamValue s = StreamValue.restored(nodes, ids, values, lastId, first, maxDeleted, added);
    int groups = in.readCount(3);
    for (int g = 0; g < groups; g++) {
      byte[] name = in.readString();
      check(s.group(name) == null, "duplicate consumer group");
      StreamId last = readId(in);
      // Version 1 has no read count: Redis estimates it from the group's last id.
      long entriesRead = v2 ? readLen(in) : s.estimateDistance(last);
      StreamValue.Group group = s.addGroup(name, last, entriesRead);
      int pel = in.readCount(17);
      for (int i = 0; i < pel; i++) {
        StreamId id = fromRaw(readRawId(in));
        long time = in.readLittleEndian(8);
        long count = readLen(in);
        check(!group.pel().containsKey(id), "duplicate PEL entry");
        StreamValue.addNack(group, id, time, count);
      }
      int consumers = in.readCount(9);
      for (int i = 0; i < consumers; i++) {
        byte[] cname = in.readString();
        check(!group.consumers().containsKey(io.keyshard.persistence.Bytes.wrap(cname)), "duplicate consumer");
        long seen = in.readLittleEndian(8);
        StreamValue.Consumer consumer = StreamValue.addConsumer(group, cname, seen);
        int owned = in.readCount(16);
        for (int j = 0; j < owned; j++) {
          StreamId id = fromRaw(readRawId(in));
          check(StreamValue.own(group, consumer, id), "consumer PEL entry not in the group's PEL");
        }
      }
      for (StreamValue.Nack n : group.pel().values()) {
        check(n.consumer() != null, "PEL entry without a consumer");
      }
    }
    return s;
  }

  private static void check(boolean ok, String what) throws RdbFormatException {
    if (!ok) {
      throw new RdbFormatException(what);
    }
  }

  /** Walks a stream listpack's elements. */
  private static final class Cursor {
    private final List<byte[]> elements;
    private int i;

    Cursor(List<byte[]> elements) {
      this.elements = elements;
    }

    boolean more() {
      return i < elements.size();
    }

    byte[] next() throws RdbFormatException {
      check(i < elements.size(), "stream listpack ends early");
      return elements.get(i++);
    }

    long integer() throws RdbFormatException {
      byte[] e = next();
      check(e.length <= 20 && CanonicalLong.test(e), "stream listpack integer expected");
      return CanonicalLong.value(e);
    }

    long count() throws RdbFormatException {
      long n = integer();
      check(n >= 0 && n <= elements.size(), "stream listpack count");
      return n;
    }
  }
}
