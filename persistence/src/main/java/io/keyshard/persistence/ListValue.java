package io.keyshard.persistence;

/** A Redis list. (Skeleton: its owner fills it in.) */
public final class ListValue implements Value {

  @Override
  public String typeName() {
    return "list";
  }

  @Override
  public String encoding() {
    return "quicklist";
  }

  @Override
  public ListValue copy() {
    return this;
  }
}
