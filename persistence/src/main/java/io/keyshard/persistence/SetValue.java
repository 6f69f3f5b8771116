package io.keyshard.persistence;

/** A Redis set. (Skeleton: its owner fills it in.) */
public final class SetValue implements Value {

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
