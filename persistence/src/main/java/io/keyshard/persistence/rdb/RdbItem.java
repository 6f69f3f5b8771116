package io.keyshard.persistence.rdb;

import io.keyshard.persistence.Value;

/** What {@link RdbFileReader} finds in an RDB file, in file order. */
public sealed interface RdbItem {

  /** An AUX field (redis-ver, ctime, used-mem...): facts about the file, no data. */
  record Aux(String name, String value) implements RdbItem {}

  /** A RESIZEDB: how many keys and keys with expiries the database holds (a hint, for progress). */
  record DbSize(int db, long keys, long expires) implements RdbItem {}

  /**
   * A key and its value. {@code encoded} is the value in RDB encoding, type byte first, as the
   * file holds it ({@link DumpPayload#wrap} makes it RESTORE's argument); {@code value} is it
   * decoded, or null when the reader was told not to decode. {@code expireAtMs} is the absolute
   * expiry in Unix milliseconds, -1 for none; it may be in the past (the caller drops those).
   * {@code offset} is where the entry starts in the file.
   */
  record Entry(int db, byte[] key, Value value, byte[] encoded, long expireAtMs, long offset)
      implements RdbItem {}

  /**
   * A function library (RDB_OPCODE_FUNCTION2, one per library, before the databases in the files
   * Redis 7.0 writes): its whole code, the {@code #!lua name=...} line first, as FUNCTION LOAD
   * took it. A library of 7.0's release candidates (opcode 246) comes out in the same form, as
   * Redis 7.0 loads it. {@code offset} is where it starts in the file.
   */
  record Function(byte[] code, long offset) implements RdbItem {
    /** The library's name from its metadata line, or null if it has none. */
    public String name() {
      return FunctionPayload.libraryName(code);
    }
  }

  /**
   * Something Keyshard cannot hold, stepped over: a restore lists these and refuses the file
   * unless told to skip them. {@code key} is null for what belongs to no key (module aux data);
   * {@code detail} names it (the module's name).
   */
  record Unsupported(Kind kind, int db, byte[] key, String detail, long offset)
      implements RdbItem {}

  enum Kind {
    /** A module's data outside any key (MODULE_AUX). */
    MODULE_AUX,
    /** A key whose value is of a module's type. */
    MODULE_VALUE,
    /** A key holding a stream. */
    STREAM
  }
}
