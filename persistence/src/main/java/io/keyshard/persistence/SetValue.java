package io.keyshard.persistence;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;

/**
 * A Redis set. Members live in an array (for O(1) random picks: SPOP, SRANDMEMBER) and a map from
 * member to its index (O(1) add, remove, contains); a removal moves the last member into the
 * hole. Mutable in place, so whoever keeps a set beyond the live keyspace takes {@link #copy}.
 *
 * <p>Encoding as Redis 7.0 reports it: "intset" while every member is a canonical signed 64-bit
 * integer and there are at most {@link #INTSET_MAX_ENTRIES}, else "hashtable", which Redis never
 * converts back (7.0 has no listpack sets). An intset iterates in ascending numeric order, as
 * Redis's does; a hashtable in array order. Stored as the member list plus {@code ht} when
 * converted.
 */
@JsonPropertyOrder({"m", "ht"})
public final class SetValue implements Value {

  /** Redis 7.0's set-max-intset-entries default. */
  public static final int INTSET_MAX_ENTRIES = 512;

  private static final Comparator<Bytes> NUMERIC =
      Comparator.comparingLong(b -> integerOf(b.array()));

  private final ArrayList<Bytes> members;
  private final HashMap<Bytes, Integer> index;
  private boolean hashtable;
  /** {@link #memoryBytes}: per member, its wrapper, array, list slot and index node. */
  private long bytes;

  static final int PER_MEMBER = 72;

  public SetValue() {
    this(new ArrayList<>(), new HashMap<>(), false);
  }

  private SetValue(ArrayList<Bytes> members, HashMap<Bytes, Integer> index, boolean hashtable) {
    this.members = members;
    this.index = index;
    this.hashtable = hashtable;
  }

  /** A set holding these members, encoded as Redis encodes a set built by adding them. */
  public static SetValue of(Collection<Bytes> members) {
    SetValue s = new SetValue();
    for (Bytes m : members) {
      s.add(m);
    }
    return s;
  }

  @JsonCreator
  static SetValue fromJson(
      @JsonProperty("m") List<byte[]> members, @JsonProperty("ht") Boolean hashtable) {
    SetValue s = new SetValue();
    if (members != null) {
      members.forEach(m -> s.add(Bytes.wrap(m)));
    }
    if (hashtable != null && hashtable) {
      s.hashtable = true;
    }
    return s;
  }

  @JsonProperty("m")
  List<byte[]> memberArrays() {
    List<byte[]> out = new ArrayList<>(members.size());
    members.forEach(m -> out.add(m.array()));
    return out;
  }

  /** Null unless converted, so a small integer set serializes without the flag. */
  @JsonProperty("ht")
  Boolean hashtableFlag() {
    return hashtable ? Boolean.TRUE : null;
  }

  /** The live members, read-only, in no particular order. */
  @JsonIgnore
  public Collection<Bytes> members() {
    return Collections.unmodifiableList(members);
  }

  /** The members in the order Redis iterates them: ascending for an intset, else array order. */
  @JsonIgnore
  public List<Bytes> ordered() {
    if (hashtable) {
      return Collections.unmodifiableList(members);
    }
    List<Bytes> sorted = new ArrayList<>(members);
    sorted.sort(NUMERIC);
    return sorted;
  }

  @JsonIgnore
  @Override
  public long elementCount() {
    return size();
  }

  public int size() {
    return members.size();
  }

  @JsonIgnore
  public boolean isIntset() {
    return !hashtable;
  }

  /** The member at a position of the array, {@code 0 <= i < size()}: for random picks and scans. */
  public Bytes get(int i) {
    return members.get(i);
  }

  public boolean contains(byte[] member) {
    return index.containsKey(Bytes.wrap(member));
  }

  public boolean contains(Bytes member) {
    return index.containsKey(member);
  }

  public boolean add(byte[] member) {
    return add(Bytes.wrap(member));
  }

  /** Adds a member; true if it is new. Converts to a hashtable as Redis would. */
  public boolean add(Bytes member) {
    if (index.containsKey(member)) {
      return false;
    }
    index.put(member, members.size());
    members.add(member);
    bytes += PER_MEMBER + member.array().length;
    if (!hashtable && (members.size() > INTSET_MAX_ENTRIES || !isInteger(member.array()))) {
      hashtable = true;
    }
    return true;
  }

  public boolean remove(byte[] member) {
    return remove(Bytes.wrap(member));
  }

  /** Removes a member; true if it was there. The last member fills its place. */
  public boolean remove(Bytes member) {
    Integer at = index.remove(member);
    if (at == null) {
      return false;
    }
    bytes -= PER_MEMBER + member.array().length;
    Bytes last = members.remove(members.size() - 1);
    if (at < members.size()) {
      members.set(at, last);
      index.put(last, at);
    }
    return true;
  }

  @Override
  public SetValue copy() {
    SetValue s = new SetValue(new ArrayList<>(members), new HashMap<>(index), hashtable);
    s.bytes = bytes;
    return s;
  }

  @Override
  public long memoryBytes() {
    return bytes;
  }

  @Override
  public String typeName() {
    return "set";
  }

  @Override
  public String encoding() {
    return hashtable ? "hashtable" : "intset";
  }

  /** Whether an intset can hold it: Redis's string2ll (canonical, no '+', no leading zeros). */
  public static boolean isInteger(byte[] b) {
    return StringValue.isCanonicalLong(b);
  }

  private static long integerOf(byte[] b) {
    return Long.parseLong(new String(b, StandardCharsets.US_ASCII));
  }
}
