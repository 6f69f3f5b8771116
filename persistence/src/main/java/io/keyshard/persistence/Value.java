package io.keyshard.persistence;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A value stored under a key. String values are immutable; later collection types are copied into
 * snapshots so the live state can keep changing while a snapshot is written.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "t")
@JsonSubTypes({
  @JsonSubTypes.Type(value = StringValue.class, name = "str"),
  @JsonSubTypes.Type(value = HashValue.class, name = "hash"),
  @JsonSubTypes.Type(value = ListValue.class, name = "list"),
  @JsonSubTypes.Type(value = SetValue.class, name = "set"),
  @JsonSubTypes.Type(value = ZSetValue.class, name = "zset"),
  @JsonSubTypes.Type(value = StreamValue.class, name = "stream")
})
public sealed interface Value
    permits StringValue, HashValue, ListValue, SetValue, ZSetValue, StreamValue {

  /** The name TYPE answers with. */
  String typeName();

  /** OBJECT ENCODING as Redis 7.0 reports it. */
  String encoding();

  /**
   * A copy sharing nothing mutable with this value, for whoever keeps it beyond the live keyspace
   * (snapshot, undo log, COPY). Immutable values return themselves.
   */
  Value copy();

  /**
   * Estimated bytes this value holds in the heap, for maxmemory: payload bytes plus a fixed
   * overhead per element (docs/decisions/2026-11-22-maxmemory.md). Kept incrementally by each
   * type, so it costs O(1); never persisted.
   */
  long memoryBytes();

  /** How many elements (members, fields, list entries; 1 for a string) it holds. */
  default long elementCount() {
    return 1;
  }
}
