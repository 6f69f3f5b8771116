package io.keyshard.persistence;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A Redis stream (docs/decisions/2026-12-07-streams.md): entries by id, the stream's counters as
 * Redis 7.0 keeps them (last generated id, first id, max deleted id, entries added), and consumer
 * groups with their pending entries lists and consumers.
 *
 * <p>Beside the entries it keeps the layout Redis's radix tree of listpacks would have: which
 * entries share a node, how many were deleted in it, its byte size. Redis decides from that
 * layout when XADD opens a node and what an approximate trim ({@code ~}) removes, so keeping it
 * makes those answers (and XINFO's radix-tree-keys) the same. Deleted entries leave no data here,
 * only their count and bytes in their node.
 *
 * <p>Mutable in place, changed only by {@link StreamEvent}s; {@link #copy} for whoever keeps one.
 */
@JsonPropertyOrder({"i", "f", "n", "m", "g"})
public final class StreamValue implements Value {

  /** stream-node-max-bytes and stream-node-max-entries, read by XADD when it decides. */
  public static final int DEFAULT_NODE_MAX_BYTES = 4096;

  public static final int DEFAULT_NODE_MAX_ENTRIES = 100;

  /** Redis's STREAM_LISTPACK_MAX_SIZE: no node grows past 1 GB. */
  public static final long LISTPACK_MAX_SIZE = 1L << 30;

  /** A node of Redis's radix tree: a listpack whose master entry holds {@code fields}. */
  public static final class Node {
    final StreamId master;
    final byte[][] fields;
    int live;
    int deleted;
    /** The node's last id, deleted entries included. */
    StreamId last;
    /** Bytes of the entries after the master entry, deleted ones included. */
    long entryBytes;

    Node(StreamId master, byte[][] fields, int live, int deleted, StreamId last, long entryBytes) {
      this.master = master;
      this.fields = fields;
      this.live = live;
      this.deleted = deleted;
      this.last = last;
      this.entryBytes = entryBytes;
    }

    public StreamId master() {
      return master;
    }

    public byte[][] fields() {
      return fields;
    }

    public int live() {
      return live;
    }

    public int deleted() {
      return deleted;
    }

    public StreamId last() {
      return last;
    }

    /** lpBytes of this node's listpack. */
    public long listpackBytes() {
      long n = 6 + intSize(live) + intSize(deleted) + intSize(fields.length) + intSize(0) + 1;
      for (byte[] f : fields) {
        n += elementSize(f);
      }
      return n + entryBytes;
    }

    Node copy() {
      return new Node(master, fields, live, deleted, last, entryBytes);
    }
  }

  /** A pending entry: who has it, when it was last delivered, how many times. */
  public static final class Nack {
    Bytes consumer;
    long deliveryTime;
    long deliveryCount;

    Nack(Bytes consumer, long deliveryTime, long deliveryCount) {
      this.consumer = consumer;
      this.deliveryTime = deliveryTime;
      this.deliveryCount = deliveryCount;
    }

    public Bytes consumer() {
      return consumer;
    }

    public long deliveryTime() {
      return deliveryTime;
    }

    public long deliveryCount() {
      return deliveryCount;
    }
  }

  public static final class Consumer {
    final Bytes name;
    long seenTime;
    final TreeSet<StreamId> pending = new TreeSet<>();

    Consumer(Bytes name, long seenTime) {
      this.name = name;
      this.seenTime = seenTime;
    }

    public Bytes name() {
      return name;
    }

    public long seenTime() {
      return seenTime;
    }

    public TreeSet<StreamId> pending() {
      return pending;
    }
  }

  /** Redis's SCG_INVALID_ENTRIES_READ: the group's read count is not known. */
  public static final long ENTRIES_READ_UNKNOWN = -1;

  public static final class Group {
    StreamId lastId;
    long entriesRead;
    final TreeMap<StreamId, Nack> pel = new TreeMap<>();
    final TreeMap<Bytes, Consumer> consumers = new TreeMap<>();

    Group(StreamId lastId, long entriesRead) {
      this.lastId = lastId;
      this.entriesRead = entriesRead;
    }

    public StreamId lastId() {
      return lastId;
    }

    public long entriesRead() {
      return entriesRead;
    }

    public TreeMap<StreamId, Nack> pel() {
      return pel;
    }

    public TreeMap<Bytes, Consumer> consumers() {
      return consumers;
    }

    Group copy() {
      Group g = new Group(lastId, entriesRead);
      for (Consumer c : consumers.values()) {
        Consumer d = new Consumer(c.name, c.seenTime);
        d.pending.addAll(c.pending);
        g.consumers.put(c.name, d);
      }
      pel.forEach((id, n) -> g.pel.put(id, new Nack(n.consumer, n.deliveryTime, n.deliveryCount)));
      return g;
    }
  }

  private final TreeMap<StreamId, byte[][]> entries = new TreeMap<>();
  private final TreeMap<StreamId, Node> nodes = new TreeMap<>();
  private final TreeMap<Bytes, Group> groups = new TreeMap<>();
  private StreamId lastId = StreamId.MIN;
  private StreamId firstId = StreamId.MIN;
  private StreamId maxDeletedId = StreamId.MIN;
  private long entriesAdded;
  private long bytes;

  static final int PER_ENTRY = 96;

  public StreamValue() {}

  // ---------------------------------------------------------------------------------------------
  // Reads.

  public long length() {
    return entries.size();
  }

  public NavigableMap<StreamId, byte[][]> entries() {
    return entries;
  }

  public NavigableMap<StreamId, Node> nodes() {
    return nodes;
  }

  public StreamId lastId() {
    return lastId;
  }

  /** Redis's first_id: recorded-first-entry-id (0-0 when empty). */
  public StreamId firstId() {
    return firstId;
  }

  public StreamId maxDeletedId() {
    return maxDeletedId;
  }

  public long entriesAdded() {
    return entriesAdded;
  }

  public TreeMap<Bytes, Group> groups() {
    return groups;
  }

  public Group group(byte[] name) {
    return groups.get(Bytes.wrap(name));
  }

  /**
   * Redis's streamEstimateDistanceFromFirstEverEntry: how many entries were added up to {@code
   * id}, or {@link #ENTRIES_READ_UNKNOWN} when deletions make it unknowable.
   */
  public long estimateDistance(StreamId id) {
    if (entriesAdded == 0) {
      return 0;
    }
    if (entries.size() == 0 && !id.after(lastId)) {
      return entriesAdded;
    }
    int cmpLast = id.compareTo(lastId);
    if (cmpLast == 0) {
      return entriesAdded;
    } else if (cmpLast > 0) {
      return ENTRIES_READ_UNKNOWN;
    }
    int cmpFirst = id.compareTo(firstId);
    if (maxDeletedId.isZero() || maxDeletedId.before(firstId)) {
      if (cmpFirst < 0) {
        return entriesAdded - entries.size();
      } else if (cmpFirst == 0) {
        return entriesAdded - entries.size() + 1;
      }
    }
    return ENTRIES_READ_UNKNOWN;
  }

  /** The last entry that exists, or null (Redis's streamLastValidID). */
  public StreamId lastValidId() {
    return entries.isEmpty() ? null : entries.lastKey();
  }

  /**
   * Whether an entry added now with these fields would open a new node (streamAppendItem's test
   * on the tail listpack), under the node limits given.
   */
  public boolean opensNode(byte[][] fieldsAndValues, long maxBytes, long maxEntries) {
    if (nodes.isEmpty()) {
      return true;
    }
    Node tail = nodes.lastEntry().getValue();
    long total = 0;
    for (byte[] b : fieldsAndValues) {
      total += b.length;
    }
    long limit = maxBytes == 0 || maxBytes > LISTPACK_MAX_SIZE ? LISTPACK_MAX_SIZE : maxBytes;
    if (tail.listpackBytes() + total >= limit) {
      return true;
    }
    return maxEntries != 0 && tail.live + tail.deleted >= maxEntries;
  }

  // ---------------------------------------------------------------------------------------------
  // Changes (called by StreamEvent).

  /** Appends an entry with an id above the last one, in a new node or the tail node. */
  void append(StreamId id, byte[][] fieldsAndValues, boolean newNode) {
    int numFields = fieldsAndValues.length / 2;
    Node node = newNode || nodes.isEmpty() ? null : nodes.lastEntry().getValue();
    boolean sameFields;
    if (node == null) {
      byte[][] fields = new byte[numFields][];
      for (int i = 0; i < numFields; i++) {
        fields[i] = fieldsAndValues[2 * i];
      }
      node = new Node(id, fields, 0, 0, id, 0);
      nodes.put(id, node);
      sameFields = true;
    } else {
      sameFields = node.fields.length == numFields;
      for (int i = 0; sameFields && i < numFields; i++) {
        sameFields = Arrays.equals(node.fields[i], fieldsAndValues[2 * i]);
      }
    }
    long size = intSize(sameFields ? 2 : 0) + intSize(id.ms() - node.master.ms())
        + intSize(id.seq() - node.master.seq());
    if (!sameFields) {
      size += intSize(numFields);
    }
    for (int i = 0; i < numFields; i++) {
      if (!sameFields) {
        size += elementSize(fieldsAndValues[2 * i]);
      }
      size += elementSize(fieldsAndValues[2 * i + 1]);
    }
    size += intSize(numFields + 3 + (sameFields ? 0 : numFields + 1));
    node.entryBytes += size;
    node.live++;
    node.last = id;
    entries.put(id, fieldsAndValues);
    bytes += cost(fieldsAndValues);
    entriesAdded++;
    lastId = id;
    if (entries.size() == 1) {
      firstId = id;
    }
  }

  /** Marks an entry deleted in its node (the node goes when nothing live is left in it). */
  private boolean remove(StreamId id) {
    byte[][] fv = entries.remove(id);
    if (fv == null) {
      return false;
    }
    bytes -= cost(fv);
    Map.Entry<StreamId, Node> n = nodes.floorEntry(id);
    if (n != null) {
      Node node = n.getValue();
      node.live--;
      node.deleted++;
      if (node.live <= 0) {
        nodes.remove(n.getKey());
      }
    }
    return true;
  }

  /** XDEL: the entries removed, the max deleted id and the first id kept as Redis keeps them. */
  int delete(List<StreamId> ids) {
    int deleted = 0;
    boolean first = false;
    for (StreamId id : ids) {
      if (remove(id)) {
        first |= id.equals(firstId);
        if (id.after(maxDeletedId)) {
          maxDeletedId = id;
        }
        deleted++;
      }
    }
    if (deleted > 0) {
      if (entries.isEmpty()) {
        firstId = StreamId.MIN;
      } else if (first) {
        firstId = entries.firstKey();
      }
    }
    return deleted;
  }

  /**
   * Redis's streamTrim: whole nodes from the head while they can go, then (exact trims only)
   * entries of the next node. {@code minId} null: by length. {@code limit} 0: no limit.
   */
  long trim(long maxLen, StreamId minId, boolean approx, long limit) {
    long deleted = 0;
    while (!nodes.isEmpty()) {
      if (minId == null && entries.size() <= maxLen) {
        break;
      }
      Map.Entry<StreamId, Node> first = nodes.firstEntry();
      Node node = first.getValue();
      long live = node.live;
      if (limit != 0 && deleted + live > limit) {
        break;
      }
      boolean removeNode =
          minId == null ? entries.size() - live >= maxLen : node.last.before(minId);
      if (removeNode) {
        StreamId end = node.last;
        List<StreamId> gone = new ArrayList<>(entries.subMap(node.master, true, end, true).keySet());
        for (StreamId id : gone) {
          bytes -= cost(entries.remove(id));
        }
        nodes.remove(first.getKey());
        deleted += live;
        continue;
      }
      if (approx) {
        break;
      }
      List<StreamId> ids = new ArrayList<>(entries.subMap(node.master, true, node.last, true).keySet());
      for (StreamId id : ids) {
        boolean stop = minId == null ? entries.size() <= maxLen : !id.before(minId);
        if (stop) {
          break;
        }
        remove(id);
        deleted++;
      }
      break;
    }
    if (entries.isEmpty()) {
      firstId = StreamId.MIN;
    } else if (deleted > 0) {
      firstId = entries.firstKey();
    }
    return deleted;
  }

  /** How many entries {@link #trim} with these arguments would remove, changing nothing. */
  public long trimCount(long maxLen, StreamId minId, boolean approx, long limit) {
    long deleted = 0;
    long length = entries.size();
    for (Node node : nodes.values()) {
      if (minId == null && length <= maxLen) {
        break;
      }
      if (limit != 0 && deleted + node.live > limit) {
        break;
      }
      boolean removeNode = minId == null ? length - node.live >= maxLen : node.last.before(minId);
      if (removeNode) {
        length -= node.live;
        deleted += node.live;
        continue;
      }
      if (approx) {
        break;
      }
      for (StreamId id : entries.subMap(node.master, true, node.last, true).keySet()) {
        if (minId == null ? length <= maxLen : !id.before(minId)) {
          break;
        }
        length--;
        deleted++;
      }
      break;
    }
    return deleted;
  }

  /** XSETID: the last id and, when given, entries added and the max deleted id. */
  void setIds(StreamId last, Long added, StreamId maxDeleted) {
    lastId = last;
    if (added != null) {
      entriesAdded = added;
    }
    if (maxDeleted != null) {
      maxDeletedId = maxDeleted;
    }
  }

  /** Creates the group or sets its last id and read count (XGROUP CREATE, SETID; deliveries). */
  void setGroup(byte[] name, StreamId last, long entriesRead) {
    Group g = groups.get(Bytes.wrap(name));
    if (g == null) {
      groups.put(Bytes.wrap(name), new Group(last, entriesRead));
    } else {
      g.lastId = last;
      g.entriesRead = entriesRead;
    }
  }

  void destroyGroup(byte[] name) {
    groups.remove(Bytes.wrap(name));
  }

  /** Creates the consumer if missing and sets its seen time. */
  void seeConsumer(byte[] group, byte[] consumer, long seen) {
    Group g = groups.get(Bytes.wrap(group));
    if (g != null) {
      Bytes name = Bytes.wrap(consumer);
      Consumer c = g.consumers.get(name);
      if (c == null) {
        g.consumers.put(name, new Consumer(name, seen));
      } else {
        c.seenTime = seen;
      }
    }
  }

  /** Removes a consumer and its pending entries from the group's PEL. */
  void deleteConsumer(byte[] group, byte[] consumer) {
    Group g = groups.get(Bytes.wrap(group));
    if (g != null) {
      Consumer c = g.consumers.remove(Bytes.wrap(consumer));
      if (c != null) {
        c.pending.forEach(g.pel::remove);
      }
    }
  }

  /**
   * Pending entries set to these owners' values: the consumer takes each id (from whoever had
   * it), with its delivery time and count. The consumer must exist.
   */
  void assign(byte[] group, byte[] consumer, List<StreamId> ids, long[] times, long[] counts) {
    Group g = groups.get(Bytes.wrap(group));
    if (g == null) {
      return;
    }
    Bytes name = Bytes.wrap(consumer);
    Consumer c = g.consumers.get(name);
    if (c == null) {
      c = new Consumer(name, times.length == 0 ? 0 : times[0]);
      g.consumers.put(name, c);
    }
    for (int i = 0; i < ids.size(); i++) {
      StreamId id = ids.get(i);
      Nack n = g.pel.get(id);
      if (n == null) {
        g.pel.put(id, new Nack(name, times[i], counts[i]));
      } else {
        if (!n.consumer.equals(name)) {
          Consumer old = g.consumers.get(n.consumer);
          if (old != null) {
            old.pending.remove(id);
          }
          n.consumer = name;
        }
        n.deliveryTime = times[i];
        n.deliveryCount = counts[i];
      }
      c.pending.add(id);
    }
  }

  /** Pending entries acknowledged or dropped (XACK, claims of deleted entries). */
  void release(byte[] group, List<StreamId> ids) {
    Group g = groups.get(Bytes.wrap(group));
    if (g == null) {
      return;
    }
    for (StreamId id : ids) {
      Nack n = g.pel.remove(id);
      if (n != null) {
        Consumer c = g.consumers.get(n.consumer);
        if (c != null) {
          c.pending.remove(id);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Listpack sizes (lpAppendInteger, lpAppend), for the node layout.

  /** Bytes lpAppendInteger(v) takes, backlen included. */
  public static int intSize(long v) {
    if (v >= 0 && v <= 127) {
      return 2;
    } else if (v >= -4096 && v <= 4095) {
      return 3;
    } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
      return 4;
    } else if (v >= -(1 << 23) && v < (1 << 23)) {
      return 5;
    } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      return 6;
    }
    return 10;
  }

  /** Bytes lpAppend(element) takes: an integer if it is one written canonically. */
  public static long elementSize(byte[] e) {
    if (e.length <= 20 && StringValue.isCanonicalLong(e)) {
      return intSize(Long.parseLong(new String(e, java.nio.charset.StandardCharsets.US_ASCII)));
    }
    long len = e.length;
    long enc = (len < 64 ? 1 : len < 4096 ? 2 : 5) + len;
    return enc + (enc <= 127 ? 1 : enc < 16383 ? 2 : enc < 2097151 ? 3 : enc < 268435455 ? 4 : 5);
  }

  private static long cost(byte[][] fv) {
    long n = PER_ENTRY;
    for (byte[] b : fv) {
      n += 16 + b.length;
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Value.

  @Override
  public String typeName() {
    return "stream";
  }

  @Override
  public String encoding() {
    return "stream";
  }

  /** Never 0: an empty stream is a key that stays (Redis keeps empty streams). */
  @Override
  @JsonIgnore
  public long elementCount() {
    return Math.max(1, entries.size());
  }

  @Override
  public long memoryBytes() {
    return bytes + 64L * groups.size();
  }

  @Override
  public StreamValue copy() {
    StreamValue s = new StreamValue();
    s.entries.putAll(entries); // entry arrays are never mutated
    nodes.forEach((k, n) -> s.nodes.put(k, n.copy()));
    groups.forEach((k, g) -> s.groups.put(k, g.copy()));
    s.lastId = lastId;
    s.firstId = firstId;
    s.maxDeletedId = maxDeletedId;
    s.entriesAdded = entriesAdded;
    s.bytes = bytes;
    return s;
  }

  // ---------------------------------------------------------------------------------------------
  // Restoring (RDB payloads): the parts as a reader found them.

  /** A stream from a dump: nodes as the dump had them, with the entries each node holds. */
  public static StreamValue restored(
      List<Node> nodeList,
      List<StreamId> ids,
      List<byte[][]> fieldsAndValues,
      StreamId last,
      StreamId first,
      StreamId maxDeleted,
      long added) {
    StreamValue s = new StreamValue();
    for (Node n : nodeList) {
      s.nodes.put(n.master, n);
    }
    for (int i = 0; i < ids.size(); i++) {
      s.entries.put(ids.get(i), fieldsAndValues.get(i));
      s.bytes += cost(fieldsAndValues.get(i));
    }
    s.lastId = last;
    s.firstId = first;
    s.maxDeletedId = maxDeleted;
    s.entriesAdded = added;
    return s;
  }

  /** A node as a dump describes it. */
  public static Node node(
      StreamId master, byte[][] fields, int live, int deleted, StreamId last, long listpackBytes) {
    Node n = new Node(master, fields, live, deleted, last, 0);
    n.entryBytes = listpackBytes - n.listpackBytes();
    return n;
  }

  /** Adds a group read from a dump. */
  public Group addGroup(byte[] name, StreamId last, long entriesRead) {
    Group g = new Group(last, entriesRead);
    groups.put(Bytes.wrap(name), g);
    return g;
  }

  /** Adds a consumer read from a dump. */
  public static Consumer addConsumer(Group g, byte[] name, long seen) {
    Consumer c = new Consumer(Bytes.wrap(name), seen);
    g.consumers.put(c.name, c);
    return c;
  }

  public static void addNack(Group g, StreamId id, long time, long count) {
    g.pel.put(id, new Nack(null, time, count));
  }

  /** Gives a consumer a pending entry read from a dump; false if the group has no such NACK. */
  public static boolean own(Group g, Consumer c, StreamId id) {
    Nack n = g.pel.get(id);
    if (n == null || n.consumer != null) {
      return false;
    }
    n.consumer = c.name;
    c.pending.add(id);
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Stored form: entries as id pairs ("i") and field/value lists ("f"); nodes ("n"); the
  // counters ("m": last ms, last seq, first ms, first seq, max deleted ms, seq, entries added);
  // groups ("g").

  @JsonPropertyOrder({"m", "f", "c", "i"})
  public record NodeForm(
      @JsonProperty("m") long[] counts,
      @JsonProperty("f") List<byte[]> fields,
      @JsonProperty("c") long entryBytes,
      @JsonProperty("i") long[] ids) {}

  @JsonPropertyOrder({"n", "l", "p", "o", "c"})
  public record GroupForm(
      @JsonProperty("n") byte[] name,
      @JsonProperty("l") long[] last,
      @JsonProperty("p") long[] pel,
      @JsonProperty("o") List<byte[]> owners,
      @JsonProperty("c") List<ConsumerForm> consumers) {}

  @JsonPropertyOrder({"n", "s"})
  public record ConsumerForm(@JsonProperty("n") byte[] name, @JsonProperty("s") long seen) {}

  @JsonProperty("i")
  long[] jsonIds() {
    long[] out = new long[entries.size() * 2];
    int i = 0;
    for (StreamId id : entries.keySet()) {
      out[i++] = id.ms();
      out[i++] = id.seq();
    }
    return out;
  }

  @JsonProperty("f")
  List<List<byte[]>> jsonFields() {
    List<List<byte[]>> out = new ArrayList<>(entries.size());
    for (byte[][] fv : entries.values()) {
      out.add(Arrays.asList(fv));
    }
    return out;
  }

  @JsonProperty("n")
  List<NodeForm> jsonNodes() {
    List<NodeForm> out = new ArrayList<>(nodes.size());
    for (Node n : nodes.values()) {
      out.add(
          new NodeForm(
              new long[] {n.live, n.deleted},
              Arrays.asList(n.fields),
              n.entryBytes,
              new long[] {n.master.ms(), n.master.seq(), n.last.ms(), n.last.seq()}));
    }
    return out;
  }

  @JsonProperty("m")
  long[] jsonMeta() {
    return new long[] {
      lastId.ms(), lastId.seq(), firstId.ms(), firstId.seq(), maxDeletedId.ms(), maxDeletedId.seq(),
      entriesAdded
    };
  }

  @JsonProperty("g")
  List<GroupForm> jsonGroups() {
    List<GroupForm> out = new ArrayList<>(groups.size());
    groups.forEach(
        (name, g) -> {
          long[] pel = new long[g.pel.size() * 4];
          List<byte[]> owners = new ArrayList<>(g.pel.size());
          int i = 0;
          for (Map.Entry<StreamId, Nack> e : g.pel.entrySet()) {
            pel[i++] = e.getKey().ms();
            pel[i++] = e.getKey().seq();
            pel[i++] = e.getValue().deliveryTime;
            pel[i++] = e.getValue().deliveryCount;
            owners.add(e.getValue().consumer.array());
          }
          List<ConsumerForm> cs = new ArrayList<>(g.consumers.size());
          g.consumers.values().forEach(c -> cs.add(new ConsumerForm(c.name.array(), c.seenTime)));
          out.add(
              new GroupForm(
                  name.array(),
                  new long[] {g.lastId.ms(), g.lastId.seq(), g.entriesRead},
                  pel,
                  owners,
                  cs));
        });
    return out;
  }

  @JsonCreator
  static StreamValue fromJson(
      @JsonProperty("i") long[] ids,
      @JsonProperty("f") List<List<byte[]>> fields,
      @JsonProperty("n") List<NodeForm> nodeForms,
      @JsonProperty("m") long[] meta,
      @JsonProperty("g") List<GroupForm> groupForms) {
    StreamValue s = new StreamValue();
    if (ids != null) {
      for (int i = 0; i < fields.size(); i++) {
        byte[][] fv = fields.get(i).toArray(new byte[0][]);
        s.entries.put(new StreamId(ids[2 * i], ids[2 * i + 1]), fv);
        s.bytes += cost(fv);
      }
    }
    if (nodeForms != null) {
      for (NodeForm f : nodeForms) {
        StreamId master = new StreamId(f.ids()[0], f.ids()[1]);
        s.nodes.put(
            master,
            new Node(
                master,
                f.fields().toArray(new byte[0][]),
                (int) f.counts()[0],
                (int) f.counts()[1],
                new StreamId(f.ids()[2], f.ids()[3]),
                f.entryBytes()));
      }
    }
    if (meta != null) {
      s.lastId = new StreamId(meta[0], meta[1]);
      s.firstId = new StreamId(meta[2], meta[3]);
      s.maxDeletedId = new StreamId(meta[4], meta[5]);
      s.entriesAdded = meta[6];
    }
    if (groupForms != null) {
      for (GroupForm f : groupForms) {
        Group g = new Group(new StreamId(f.last()[0], f.last()[1]), f.last()[2]);
        for (ConsumerForm c : f.consumers()) {
          Consumer consumer = new Consumer(Bytes.wrap(c.name()), c.seen());
          g.consumers.put(consumer.name, consumer);
        }
        for (int i = 0; i < f.owners().size(); i++) {
          StreamId id = new StreamId(f.pel()[4 * i], f.pel()[4 * i + 1]);
          Bytes owner = Bytes.wrap(f.owners().get(i));
          g.pel.put(id, new Nack(owner, f.pel()[4 * i + 2], f.pel()[4 * i + 3]));
          Consumer c = g.consumers.get(owner);
          if (c != null) {
            c.pending.add(id);
          }
        }
        s.groups.put(Bytes.wrap(f.name()), g);
      }
    }
    return s;
  }
}
