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
  @JsonSubTypes.Type(value = HashValue.class, name = "hash")
})
public sealed interface Value permits StringValue, HashValue {

  /** The name TYPE answers with. */
  String typeName();
}
