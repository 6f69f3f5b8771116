package io.keyshard.persistence;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Redis hash: fields to values in insertion order, as Redis keeps a small (listpack) hash.
 * Mutable in place, so whoever keeps a hash beyond the live keyspace (snapshot, undo, COPY) must
 * take {@link #deepCopy}. Stored as a flat field, value, field, value list; {@code ht} records
 * that Redis would have converted it to a hashtable, which it never converts back.
 */
@JsonPropertyOrder({"fv", "ht"})
public final class HashValue implements Value {

  /** Redis 7.0's hash-max-listpack-entries and hash-max-listpack-value defaults. */
  public static final int LISTPACK_MAX_ENTRIES = 512;

  public static final int LISTPACK_MAX_VALUE = 64;

  private final LinkedHashMap<Bytes, byte[]> fields;
  private boolean hashtable;
  /** {@link #memoryBytes}: per field, its map node, the field's wrapper and both arrays. */
  private long bytes;

  static final int PER_FIELD = 80;

  private static long cost(int field, int value) {
    return PER_FIELD + field + value;
  }

  public HashValue() {
    this(new LinkedHashMap<>(), false);
  }

  private HashValue(LinkedHashMap<Bytes, byte[]> fields, boolean hashtable) {
    this.fields = fields;
    this.hashtable = hashtable;
  }

  @JsonCreator
  static HashValue fromJson(
      @JsonProperty("fv") List<byte[]> fieldsAndValues, @JsonProperty("ht") Boolean hashtable) {
    HashValue h = new HashValue(new LinkedHashMap<>(), hashtable != null && hashtable);
    if (fieldsAndValues != null) {
      for (int i = 0; i + 1 < fieldsAndValues.size(); i += 2) {
        byte[] f = fieldsAndValues.get(i);
        byte[] v = fieldsAndValues.get(i + 1);
        h.fields.put(Bytes.wrap(f), v);
        h.bytes += cost(f.length, v.length);
      }
    }
    return h;
  }

  /**
   * A hash read from a dump (RESTORE): fields and values in turn, distinct fields, with the
   * encoding the dump's reader chose. Redis keeps a listpack it loads as a listpack unless it has
   * too many fields, whatever the length of its values, so {@code hashtable} is not derived here.
   */
  public static HashValue restored(List<byte[]> fieldsAndValues, boolean hashtable) {
    return fromJson(fieldsAndValues, hashtable);
  }

  @JsonProperty("fv")
  List<byte[]> fieldsAndValues() {
    List<byte[]> out = new ArrayList<>(fields.size() * 2);
    fields.forEach(
        (f, v) -> {
          out.add(f.array());
          out.add(v);
        });
    return out;
  }

  /** Null unless converted, so a small hash serializes without the flag. */
  @JsonProperty("ht")
  Boolean hashtableFlag() {
    return hashtable ? Boolean.TRUE : null;
  }

  /** The live fields; read them, change them only through {@link #put} and {@link #remove}. */
  @JsonIgnore
  public Map<Bytes, byte[]> fields() {
    return fields;
  }

  @JsonIgnore
  public int size() {
    return fields.size();
  }

  public byte[] get(byte[] field) {
    return fields.get(Bytes.wrap(field));
  }

  /** Sets a field; true if it is new. Converts to a hashtable as Redis would. */
  public boolean put(byte[] field, byte[] value) {
    byte[] old = fields.put(Bytes.wrap(field), value);
    boolean added = old == null;
    bytes += cost(field.length, value.length) - (added ? 0 : cost(field.length, old.length));
    if (field.length > LISTPACK_MAX_VALUE
        || value.length > LISTPACK_MAX_VALUE
        || fields.size() > LISTPACK_MAX_ENTRIES) {
      hashtable = true;
    }
    return added;
  }

  /** Removes a field; true if it was there. */
  public boolean remove(byte[] field) {
    byte[] old = fields.remove(Bytes.wrap(field));
    if (old == null) {
      return false;
    }
    bytes -= cost(field.length, old.length);
    return true;
  }

  /** A copy sharing nothing mutable with this one (field and value arrays are never mutated). */
  public HashValue deepCopy() {
    HashValue h = new HashValue(new LinkedHashMap<>(fields), hashtable);
    h.bytes = bytes;
    return h;
  }

  @Override
  public long memoryBytes() {
    return bytes;
  }

  @Override
  public long elementCount() {
    return fields.size();
  }

  @Override
  public HashValue copy() {
    return deepCopy();
  }

  @Override
  public String typeName() {
    return "hash";
  }

  @Override
  public String encoding() {
    return hashtable ? "hashtable" : "listpack";
  }
}
