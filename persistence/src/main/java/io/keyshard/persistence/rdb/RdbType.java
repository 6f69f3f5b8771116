package io.keyshard.persistence.rdb;

/**
 * The object types of Redis's RDB format (version 10, Redis 7.0), the byte that starts a DUMP
 * payload. Keyshard writes the ones Redis 7.0 writes for its five types and reads every older
 * one a 7.0 server still reads; modules (6, 7) and streams (15, 19) are not Keyshard types.
 */
public final class RdbType {
  private RdbType() {}

  public static final int STRING = 0;
  public static final int LIST = 1;
  public static final int SET = 2;
  /** Sorted set with scores as strings (before RDB 8). */
  public static final int ZSET = 3;
  public static final int HASH = 4;
  /** Sorted set with binary doubles. */
  public static final int ZSET_2 = 5;
  public static final int MODULE = 6;
  public static final int MODULE_2 = 7;
  public static final int HASH_ZIPMAP = 9;
  public static final int LIST_ZIPLIST = 10;
  public static final int SET_INTSET = 11;
  public static final int ZSET_ZIPLIST = 12;
  public static final int HASH_ZIPLIST = 13;
  /** A quicklist of ziplists (Redis 3.2 to 6.2). */
  public static final int LIST_QUICKLIST = 14;
  public static final int STREAM_LISTPACKS = 15;
  public static final int HASH_LISTPACK = 16;
  public static final int ZSET_LISTPACK = 17;
  /** A quicklist of listpack (or plain) nodes, what Redis 7.0 writes for every list. */
  public static final int LIST_QUICKLIST_2 = 18;
  public static final int STREAM_LISTPACKS_2 = 19;

  /** Quicklist node containers (QUICKLIST_2): one element as it is, or a listpack of several. */
  public static final int CONTAINER_PLAIN = 1;

  public static final int CONTAINER_PACKED = 2;
}
