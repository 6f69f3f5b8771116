package io.keyshard.persistence;

/** A Redis set. (Skeleton: its owner fills it in.) */
public final class SetValue implements Value {

  /** The members (empty in this skeleton; the set helper's version replaces it). */
  public java.util.Collection<Bytes> members() {
    return java.util.List.of();
  }

  public int size() {
    return 0;
  }

  @Override
  public String typeName() {
    return "set";
  }

  @Override
  public String encoding() {
    return "hashtable";
  }

  @Override
  public SetValue copy() {
    return this;
  }
}
