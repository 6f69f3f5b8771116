package io.keyshard.persistence.rdb;

import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.ZSetValue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A value from its RDB encoding, any a Redis 7.0 server loads: what 7.0 writes and the older
 * forms (linked lists, ziplists, quicklists of ziplists, zipmaps, string scores, LZF strings).
 * The result is encoded as Redis 7.0 would encode what it loaded (OBJECT ENCODING agrees), with
 * Redis's default size limits. Everything is checked as Redis checks a payload with
 * {@code sanitize-dump-payload yes}: a duplicate member or field, an empty collection, a NaN
 * score or any inconsistency is refused, whatever Redis's default would let through.
 */
public final class RdbValueReader {
  private RdbValueReader() {}

  /** Redis 7.0's defaults (also what HashValue and ZSetValue convert at). */
  private static final int HASH_MAX_LISTPACK_ENTRIES = HashValue.LISTPACK_MAX_ENTRIES;
  private static final int HASH_MAX_LISTPACK_VALUE = HashValue.LISTPACK_MAX_VALUE;
  private static final int ZSET_MAX_LISTPACK_ENTRIES = ZSetValue.LISTPACK_MAX_ENTRIES;
  private static final int ZSET_MAX_LISTPACK_VALUE = ZSetValue.LISTPACK_MAX_VALUE;

  /** Redis's lpSafeToAdd: a listpack is kept under 1 GB. */
  private static final long LISTPACK_MAX_SAFETY_SIZE = 1L << 30;

  /** A value read from inside a larger buffer, and where its bytes end. */
  public record Read(Value value, int end) {}

  /**
   * The value of an object of {@code type} starting at {@code buf[from]}, reading no further
   * than {@code limit}: what an RDB file reader (backups, imports) needs, where the key stands
   * between the type byte and the value.
   */
  public static Read readBody(int type, byte[] buf, int from, int limit)
      throws RdbFormatException {
    RdbInput in = new RdbInput(buf, from, limit);
    try {
      Value v = readBody(type, in);
      return new Read(v, limit - in.remaining());
    } catch (RuntimeException e) {
      throw new RdbFormatException("unreadable: " + e);
    }
  }

  /** The object type byte, then the value. */
  static Value read(RdbInput in) throws RdbFormatException {
    return readBody(in.readUnsignedByte(), in);
  }

  /** The value of an object of this type (an RDB file has the key between type and value). */
  static Value readBody(int type, RdbInput in) throws RdbFormatException {
    switch (type) {
      case RdbType.STRING:
        return StringValue.of(in.readString());
      case RdbType.LIST:
        return linkedList(in);
      case RdbType.SET:
        return set(in);
      case RdbType.ZSET:
      case RdbType.ZSET_2:
        return zset(in, type == RdbType.ZSET_2);
      case RdbType.HASH:
        return hash(in);
      case RdbType.LIST_QUICKLIST:
      case RdbType.LIST_QUICKLIST_2:
        return quicklist(in, type == RdbType.LIST_QUICKLIST_2);
      case RdbType.HASH_ZIPMAP:
        return zipmapHash(in.readString());
      case RdbType.LIST_ZIPLIST:
        return list(Ziplist.read(in.readString()));
      case RdbType.SET_INTSET:
        return SetValue.of(asBytes(Intset.read(in.readString())));
      case RdbType.ZSET_ZIPLIST:
        return compactZSet(Ziplist.read(in.readString()));
      case RdbType.ZSET_LISTPACK:
        return compactZSet(Listpack.read(in.readString()));
      case RdbType.HASH_ZIPLIST:
        return compactHash(Ziplist.read(in.readString()));
      case RdbType.HASH_LISTPACK:
        return compactHash(Listpack.read(in.readString()));
      case RdbType.STREAM_LISTPACKS:
      case RdbType.STREAM_LISTPACKS_2:
        return StreamRdb.read(in, type == RdbType.STREAM_LISTPACKS_2);
      default:
        // Modules, and bytes that are no type at all.
        throw new RdbFormatException("unsupported RDB type " + type);
    }
  }

  private static RdbFormatException empty() {
    return new RdbFormatException("empty collection");
  }

  private static ListValue linkedList(RdbInput in) throws RdbFormatException {
    int n = in.readCount(1);
    if (n == 0) {
      throw empty();
    }
    ListValue l = new ListValue();
    for (int i = 0; i < n; i++) {
      l.addLast(in.readString());
    }
    return l;
  }

  private static ListValue list(List<byte[]> elements) throws RdbFormatException {
    if (elements.isEmpty()) {
      throw empty();
    }
    ListValue l = new ListValue();
    elements.forEach(l::addLast);
    return l;
  }

  /** Nodes of a quicklist: listpacks (or single plain elements), or ziplists before 7.0. */
  private static ListValue quicklist(RdbInput in, boolean v2) throws RdbFormatException {
    int nodes = in.readCount(v2 ? 2 : 1);
    if (nodes == 0) {
      throw empty();
    }
    ListValue l = new ListValue();
    for (int i = 0; i < nodes; i++) {
      long container = v2 ? in.readLen() : RdbType.CONTAINER_PACKED;
      if (container != RdbType.CONTAINER_PACKED && container != RdbType.CONTAINER_PLAIN) {
        throw new RdbFormatException("quicklist container " + container);
      }
      byte[] data = in.readString();
      if (data.length == 0) {
        throw new RdbFormatException("empty quicklist node");
      }
      if (container == RdbType.CONTAINER_PLAIN) {
        l.addLast(data);
      } else {
        // Empty nodes are skipped, as Redis does; an empty list in the end is refused.
        (v2 ? Listpack.read(data) : Ziplist.read(data)).forEach(l::addLast);
      }
    }
    if (l.size() == 0) {
      throw empty();
    }
    return l;
  }

  private static SetValue set(RdbInput in) throws RdbFormatException {
    int n = in.readCount(1);
    if (n == 0) {
      throw empty();
    }
    // SetValue converts from intset exactly where Redis's loader does (count, non-integer).
    SetValue s = new SetValue();
    for (int i = 0; i < n; i++) {
      if (!s.add(in.readString())) {
        throw new RdbFormatException("duplicate set member");
      }
    }
    return s;
  }

  private static ZSetValue zset(RdbInput in, boolean binaryScores) throws RdbFormatException {
    int n = in.readCount(binaryScores ? 9 : 2);
    if (n == 0) {
      throw empty();
    }
    List<byte[]> members = new ArrayList<>(n);
    double[] scores = new double[n];
    Set<Bytes> seen = new HashSet<>();
    long longest = 0;
    long total = 0;
    for (int i = 0; i < n; i++) {
      byte[] m = in.readString();
      double score = binaryScores ? in.readBinaryDouble() : in.readStringDouble();
      if (Double.isNaN(score)) {
        throw new RdbFormatException("NaN score");
      }
      if (!seen.add(Bytes.wrap(m))) {
        throw new RdbFormatException("duplicate sorted set member");
      }
      members.add(m);
      scores[i] = score;
      longest = Math.max(longest, m.length);
      total += m.length;
    }
    // Loaded in full, then made compact when small enough, as Redis's loader does.
    boolean compact =
        n <= ZSET_MAX_LISTPACK_ENTRIES
            && longest <= ZSET_MAX_LISTPACK_VALUE
            && total <= LISTPACK_MAX_SAFETY_SIZE;
    return ZSetValue.restored(members, scores, !compact);
  }

  private static HashValue hash(RdbInput in) throws RdbFormatException {
    int n = in.readCount(2);
    if (n == 0) {
      throw empty();
    }
    // HashValue converts to a hashtable exactly where Redis's loader does (count, long entry).
    HashValue h = new HashValue();
    for (int i = 0; i < n; i++) {
      byte[] field = in.readString();
      byte[] value = in.readString();
      if (!h.put(field, value)) {
        throw new RdbFormatException("duplicate hash field");
      }
    }
    return h;
  }

  /** A listpack or ziplist of member, score pairs; skiplist only when it has too many. */
  private static ZSetValue compactZSet(List<byte[]> entries) throws RdbFormatException {
    if (entries.size() % 2 != 0) {
      throw new RdbFormatException("odd listpack of a sorted set");
    }
    int n = entries.size() / 2;
    if (n == 0) {
      throw empty();
    }
    List<byte[]> members = new ArrayList<>(n);
    double[] scores = new double[n];
    Set<Bytes> seen = new HashSet<>();
    for (int i = 0; i < n; i++) {
      byte[] m = entries.get(2 * i);
      double score = Doubles.parse(entries.get(2 * i + 1));
      if (Double.isNaN(score)) {
        throw new RdbFormatException("NaN score");
      }
      if (!seen.add(Bytes.wrap(m))) {
        throw new RdbFormatException("duplicate sorted set member");
      }
      members.add(m);
      scores[i] = score;
    }
    return ZSetValue.restored(members, scores, n > ZSET_MAX_LISTPACK_ENTRIES);
  }

  /** A listpack or ziplist of field, value pairs; a hashtable only when it has too many. */
  private static HashValue compactHash(List<byte[]> entries) throws RdbFormatException {
    checkPairs(entries);
    return HashValue.restored(entries, entries.size() / 2 > HASH_MAX_LISTPACK_ENTRIES);
  }

  /** A zipmap becomes a listpack hash, then a hashtable if too big in count or entry length. */
  private static HashValue zipmapHash(byte[] blob) throws RdbFormatException {
    List<byte[]> entries = Zipmap.read(blob);
    checkPairs(entries);
    int longest = 0;
    for (byte[] e : entries) {
      longest = Math.max(longest, e.length);
    }
    boolean hashtable =
        entries.size() / 2 > HASH_MAX_LISTPACK_ENTRIES || longest > HASH_MAX_LISTPACK_VALUE;
    return HashValue.restored(entries, hashtable);
  }

  private static void checkPairs(List<byte[]> entries) throws RdbFormatException {
    if (entries.size() % 2 != 0) {
      throw new RdbFormatException("odd listpack of a hash");
    }
    if (entries.isEmpty()) {
      throw empty();
    }
    Set<Bytes> fields = new HashSet<>();
    for (int i = 0; i < entries.size(); i += 2) {
      if (!fields.add(Bytes.wrap(entries.get(i)))) {
        throw new RdbFormatException("duplicate hash field");
      }
    }
  }

  private static List<Bytes> asBytes(List<byte[]> members) {
    List<Bytes> out = new ArrayList<>(members.size());
    members.forEach(m -> out.add(Bytes.wrap(m)));
    return out;
  }
}
