package io.keyshard.persistence;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * A Redis sorted set: members ordered by score, then by their bytes (unsigned), as Redis orders
 * them. A hash map gives a member's score in O(1); an indexable skip list (each forward link
 * knows how many nodes it spans) gives insert, delete, rank, access by rank and the start of a
 * score or lex range in O(log n) expected, and ranges then walk the bottom level.
 *
 * <p>Mutable in place, so whoever keeps one beyond the live keyspace takes {@link #copy}. Stored
 * as its members and scores in order ({@code m}, {@code s}: doubles kept exactly) and {@code sl}
 * when Redis would use a skiplist: a set converts once it exceeds 128 members or holds a member
 * longer than 64 bytes and never converts back, except that a *STORE result is built in the
 * compact form when it fits ({@link #compactIfSmall}).
 */
@JsonPropertyOrder({"m", "s", "sl"})
public final class ZSetValue implements Value {

  /** Redis 7.0's zset-max-listpack-entries and zset-max-listpack-value defaults. */
  public static final int LISTPACK_MAX_ENTRIES = 128;

  public static final int LISTPACK_MAX_VALUE = 64;

  private static final int MAX_LEVEL = 32;

  /** A member in the skip list. {@code span[i]}: how many bottom-level steps next[i] jumps. */
  public static final class Node {
    final byte[] member;
    final double score;
    final Node[] next;
    final int[] span;
    Node prev;

    Node(byte[] member, double score, int level) {
      this.member = member;
      this.score = score;
      this.next = new Node[level];
      this.span = new int[level];
    }

    public byte[] member() {
      return member;
    }

    public double score() {
      return score;
    }

    /** The following member in order, or null. */
    public Node next() {
      return next[0];
    }

    /** The preceding member in order, or null. */
    public Node prev() {
      return prev;
    }
  }

  private final HashMap<Bytes, Node> scores = new HashMap<>();
  private final Node head = new Node(null, 0, MAX_LEVEL);
  private Node tail;
  private int level = 1;
  private boolean skiplist;
  private long seed;
  /** {@link #memoryBytes}: per member, its node with links, the map entry and the bytes. */
  private long bytes;

  static final int PER_MEMBER = 112;

  public ZSetValue() {}

  /**
   * An empty set in the skiplist encoding: how Redis builds the result of ZUNION, ZINTER, ZDIFF
   * and ZRANGESTORE before a *STORE compacts it ({@link #compactIfSmall}); it keeps -0.
   */
  public static ZSetValue newSkiplist() {
    ZSetValue z = new ZSetValue();
    z.skiplist = true;
    return z;
  }

  @JsonCreator
  static ZSetValue fromJson(
      @JsonProperty("m") List<byte[]> members,
      @JsonProperty("s") double[] scoreList,
      @JsonProperty("sl") Boolean skiplist) {
    ZSetValue z = new ZSetValue();
    z.skiplist = skiplist != null && skiplist;
    if (members != null) {
      SortedBuilder b = z.new SortedBuilder();
      for (int i = 0; i < members.size(); i++) {
        b.append(members.get(i), scoreList[i]);
      }
      b.finish();
    }
    return z;
  }

  /**
   * A set read from a dump (RESTORE): distinct members, no NaN, in any order, with the encoding
   * the dump's reader chose (Redis keeps a listpack it loads as a listpack unless it has too many
   * members, whatever their length). A compact set holds -0 as 0, as Redis's listpack does.
   */
  public static ZSetValue restored(List<byte[]> members, double[] scoreList, boolean skiplist) {
    Integer[] order = new Integer[members.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order, (a, b) -> compare(scoreList[a], members.get(a), scoreList[b], members.get(b)));
    ZSetValue z = new ZSetValue();
    z.skiplist = skiplist;
    SortedBuilder b = z.new SortedBuilder();
    for (int i : order) {
      double score = scoreList[i];
      b.append(members.get(i), !skiplist && score == 0 ? 0.0 : score);
    }
    b.finish();
    return z;
  }

  @JsonProperty("m")
  List<byte[]> membersInOrder() {
    List<byte[]> out = new ArrayList<>(size());
    for (Node n = first(); n != null; n = n.next[0]) {
      out.add(n.member);
    }
    return out;
  }

  @JsonProperty("s")
  double[] scoresInOrder() {
    double[] out = new double[size()];
    int i = 0;
    for (Node n = first(); n != null; n = n.next[0]) {
      out[i++] = n.score;
    }
    return out;
  }

  @JsonProperty("sl")
  Boolean skiplistFlag() {
    return skiplist ? Boolean.TRUE : null;
  }

  // ------------------------------------------------------------------------------------------
  // Order

  /** Redis's order: score, then member bytes unsigned. -0.0 and 0.0 are the same score. */
  static int compare(double s1, byte[] m1, double s2, byte[] m2) {
    if (s1 < s2) {
      return -1;
    }
    if (s1 > s2) {
      return 1;
    }
    return Arrays.compareUnsigned(m1, m2);
  }

  private static boolean before(Node n, double score, byte[] member) {
    return n.score < score || (n.score == score && Arrays.compareUnsigned(n.member, member) < 0);
  }

  private int randomLevel() {
    // A deterministic generator per set: levels never change what is stored, only speed.
    seed += 0x9E3779B97F4A7C15L;
    long z = seed;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    // p = 1/4 per level, as Redis's skip list.
    int lvl = 1 + Long.numberOfTrailingZeros(z | (1L << 62)) / 2;
    return Math.min(lvl, MAX_LEVEL);
  }

  // ------------------------------------------------------------------------------------------
  // Queries

  @JsonIgnore
  @Override
  public long elementCount() {
    return size();
  }

  public int size() {
    return scores.size();
  }

  /** The member's score, or null if absent. */
  public Double score(byte[] member) {
    Node n = scores.get(Bytes.wrap(member));
    return n == null ? null : n.score;
  }

  public boolean contains(byte[] member) {
    return scores.containsKey(Bytes.wrap(member));
  }

  /** The lowest member, or null if empty. */
  public Node first() {
    return head.next[0];
  }

  /** The highest member, or null if empty. */
  public Node last() {
    return tail;
  }

  /** 0-based rank of a member in ascending order, or -1 if absent. */
  public long rank(byte[] member) {
    Node target = scores.get(Bytes.wrap(member));
    if (target == null) {
      return -1;
    }
    long rank = 0;
    Node x = head;
    for (int i = level - 1; i >= 0; i--) {
      while (x.next[i] != null
          && (x.next[i] == target || before(x.next[i], target.score, target.member))) {
        rank += x.span[i];
        x = x.next[i];
        if (x == target) {
          return rank - 1;
        }
      }
    }
    throw new IllegalStateException("member in map but not in list");
  }

  /** The member at a 0-based rank, or null if out of range. */
  public Node byRank(long rank) {
    if (rank < 0 || rank >= size()) {
      return null;
    }
    long target = rank + 1;
    long traversed = 0;
    Node x = head;
    for (int i = level - 1; i >= 0; i--) {
      while (x.next[i] != null && traversed + x.span[i] <= target) {
        traversed += x.span[i];
        x = x.next[i];
      }
      if (traversed == target) {
        return x;
      }
    }
    throw new IllegalStateException("rank " + rank + " of " + size());
  }

  /** The first member whose score is above min (at or above unless exclusive), or null. */
  public Node firstAtOrAbove(double min, boolean exclusive) {
    Node x = head;
    for (int i = level - 1; i >= 0; i--) {
      while (x.next[i] != null
          && (exclusive ? x.next[i].score <= min : x.next[i].score < min)) {
        x = x.next[i];
      }
    }
    return x.next[0];
  }

  /** The last member whose score is below max (at or below unless exclusive), or null. */
  public Node lastAtOrBelow(double max, boolean exclusive) {
    Node x = head;
    for (int i = level - 1; i >= 0; i--) {
      while (x.next[i] != null
          && (exclusive ? x.next[i].score < max : x.next[i].score <= max)) {
        x = x.next[i];
      }
    }
    return x == head ? null : x;
  }

  /**
   * The first member at or after a member name in lex order (after it if exclusive), or null;
   * meaningful when all scores are equal, as in Redis.
   */
  public Node firstLexAtOrAbove(byte[] min, boolean exclusive) {
    Node x = head;
    for (int i = level - 1; i >= 0; i--) {
      while (x.next[i] != null && lexBefore(x.next[i].member, min, exclusive)) {
        x = x.next[i];
      }
    }
    return x.next[0];
  }

  /** The last member at or before a member name (before it if exclusive), or null. */
  public Node lastLexAtOrBelow(byte[] max, boolean exclusive) {
    Node x = head;
    for (int i = level - 1; i >= 0; i--) {
      while (x.next[i] != null && !lexAfter(x.next[i].member, max, exclusive)) {
        x = x.next[i];
      }
    }
    return x == head ? null : x;
  }

  private static boolean lexBefore(byte[] m, byte[] min, boolean exclusive) {
    int c = Arrays.compareUnsigned(m, min);
    return exclusive ? c <= 0 : c < 0;
  }

  private static boolean lexAfter(byte[] m, byte[] max, boolean exclusive) {
    int c = Arrays.compareUnsigned(m, max);
    return exclusive ? c >= 0 : c > 0;
  }

  // ------------------------------------------------------------------------------------------
  // Changes

  /**
   * Sets a member's score, adding it if new; true if it is new. Converts to a skiplist as
   * Redis would. A compact set cannot hold -0 (Redis stores the integer 0), a skiplist can.
   */
  public boolean put(byte[] member, double score) {
    if (member.length > LISTPACK_MAX_VALUE) {
      skiplist = true;
    }
    if (!skiplist && score == 0) {
      score = 0.0;
    }
    Bytes key = Bytes.wrap(member);
    Node old = scores.get(key);
    if (old != null) {
      if (old.score == score) {
        return false; // as Redis: 0 and -0 are the same score, the stored one stays
      }
      unlink(old);
    }
    Node n = insert(member, score);
    scores.put(key, n);
    if (old == null) {
      bytes += PER_MEMBER + member.length;
    }
    if (scores.size() > LISTPACK_MAX_ENTRIES) {
      skiplist = true;
    }
    return old == null;
  }

  /** Removes a member; true if it was there. */
  public boolean remove(byte[] member) {
    Node n = scores.remove(Bytes.wrap(member));
    if (n == null) {
      return false;
    }
    bytes -= PER_MEMBER + member.length;
    unlink(n);
    return true;
  }

  private Node insert(byte[] member, double score) {
    Node[] update = new Node[MAX_LEVEL];
    long[] rank = new long[MAX_LEVEL];
    Node x = head;
    for (int i = level - 1; i >= 0; i--) {
      rank[i] = i == level - 1 ? 0 : rank[i + 1];
      while (x.next[i] != null && before(x.next[i], score, member)) {
        rank[i] += x.span[i];
        x = x.next[i];
      }
      update[i] = x;
    }
    int lvl = randomLevel();
    if (lvl > level) {
      for (int i = level; i < lvl; i++) {
        rank[i] = 0;
        update[i] = head;
        head.span[i] = size();
      }
      level = lvl;
    }
    Node n = new Node(member, score, lvl);
    for (int i = 0; i < lvl; i++) {
      n.next[i] = update[i].next[i];
      update[i].next[i] = n;
      n.span[i] = (int) (update[i].span[i] - (rank[0] - rank[i]));
      update[i].span[i] = (int) (rank[0] - rank[i]) + 1;
    }
    for (int i = lvl; i < level; i++) {
      update[i].span[i]++;
    }
    n.prev = update[0] == head ? null : update[0];
    if (n.next[0] != null) {
      n.next[0].prev = n;
    } else {
      tail = n;
    }
    return n;
  }

  private void unlink(Node target) {
    Node[] update = new Node[MAX_LEVEL];
    Node x = head;
    for (int i = level - 1; i >= 0; i--) {
      while (x.next[i] != null
          && x.next[i] != target
          && before(x.next[i], target.score, target.member)) {
        x = x.next[i];
      }
      update[i] = x;
    }
    for (int i = 0; i < level; i++) {
      if (update[i].next[i] == target) {
        update[i].span[i] += target.span[i] - 1;
        update[i].next[i] = target.next[i];
      } else {
        update[i].span[i]--;
      }
    }
    if (target.next[0] != null) {
      target.next[0].prev = target.prev;
    } else {
      tail = target.prev;
    }
    while (level > 1 && head.next[level - 1] == null) {
      head.span[level - 1] = 0;
      level--;
    }
  }

  /**
   * Builds a set from members already in order in O(n): each new node goes after the last node
   * of each of its levels. Links that point nowhere keep "members after this one" as their span,
   * which is what {@link #insert} and {@link #unlink} maintain.
   */
  private final class SortedBuilder {
    private final Node[] last = new Node[MAX_LEVEL];
    private final long[] lastRank = new long[MAX_LEVEL];

    SortedBuilder() {
      Arrays.fill(last, head);
    }

    void append(byte[] member, double score) {
      int lvl = randomLevel();
      level = Math.max(level, lvl);
      Node n = new Node(member, score, lvl);
      long r = scores.size() + 1L;
      for (int i = 0; i < lvl; i++) {
        last[i].next[i] = n;
        last[i].span[i] = (int) (r - lastRank[i]);
        last[i] = n;
        lastRank[i] = r;
      }
      n.prev = tail;
      tail = n;
      scores.put(Bytes.wrap(member), n);
      bytes += PER_MEMBER + member.length;
    }

    void finish() {
      for (int i = 0; i < level; i++) {
        last[i].span[i] = (int) (scores.size() - lastRank[i]);
      }
    }
  }

  /** Whether a set of this size and longest member would be compact (listpack) in Redis. */
  public static boolean fitsListpack(int size, int longestMember) {
    return size <= LISTPACK_MAX_ENTRIES && longestMember <= LISTPACK_MAX_VALUE;
  }

  /** A *STORE result: Redis builds it compact when it fits, whatever its sources were. */
  public ZSetValue compactIfSmall() {
    if (skiplist && size() <= LISTPACK_MAX_ENTRIES) {
      int longest = 0;
      for (Node n = first(); n != null; n = n.next[0]) {
        longest = Math.max(longest, n.member.length);
      }
      if (longest <= LISTPACK_MAX_VALUE) {
        ZSetValue z = new ZSetValue();
        for (Node n = first(); n != null; n = n.next[0]) {
          z.put(n.member, n.score);
        }
        return z;
      }
    }
    return this;
  }

  @Override
  public ZSetValue copy() {
    ZSetValue z = new ZSetValue();
    z.skiplist = skiplist;
    z.seed = seed;
    SortedBuilder b = z.new SortedBuilder();
    for (Node n = first(); n != null; n = n.next[0]) {
      b.append(n.member, n.score);
    }
    b.finish();
    return z;
  }

  @Override
  public long memoryBytes() {
    return bytes;
  }

  @Override
  public String typeName() {
    return "zset";
  }

  @Override
  public String encoding() {
    return skiplist ? "skiplist" : "listpack";
  }

  /** For tests: checks every link, span and back link against a plain walk. */
  void checkInvariants() {
    List<Node> order = new ArrayList<>();
    for (Node n = first(); n != null; n = n.next[0]) {
      order.add(n);
    }
    if (order.size() != size()) {
      throw new IllegalStateException("size " + order.size() + " vs " + size());
    }
    IdentityHashMap<Node, Integer> pos = new IdentityHashMap<>();
    pos.put(head, 0);
    for (int i = 0; i < order.size(); i++) {
      pos.put(order.get(i), i + 1);
      Node n = order.get(i);
      if (n.prev != (i == 0 ? null : order.get(i - 1))) {
        throw new IllegalStateException("prev at " + i);
      }
      if (i > 0 && compare(order.get(i - 1).score, order.get(i - 1).member, n.score, n.member) >= 0) {
        throw new IllegalStateException("order at " + i);
      }
    }
    if (tail != (order.isEmpty() ? null : order.get(order.size() - 1))) {
      throw new IllegalStateException("tail");
    }
    List<Node> all = new ArrayList<>(order);
    all.add(0, head);
    for (Node n : all) {
      for (int i = 0; i < Math.min(n.next.length, level); i++) {
        if (n.next[i] != null) {
          int d = pos.get(n.next[i]) - pos.get(n);
          if (d != n.span[i]) {
            throw new IllegalStateException("span level " + i + " at " + pos.get(n));
          }
        }
      }
    }
  }
}
