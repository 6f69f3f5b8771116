package io.keyshard.persistence;

/** A Redis zset. (Skeleton: its owner fills it in.) */
public final class ZSetValue implements Value {

  @Override
  public String typeName() {
    return "zset";
  }

  @Override
  public String encoding() {
    return "skiplist";
  }

  @Override
  public ZSetValue copy() {
    return this;
  }
}
