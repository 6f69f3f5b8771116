package io.keyshard.persistence.rdb;

/**
 * The framing of an RDB file around its values: the header ("REDIS" and four digits of version),
 * the opcodes that stand where a value's type byte would, and the versions read. A file is the
 * header, opcodes and key/value entries in any order, EOF, and (from version 5) the CRC-64 of
 * everything before it, 8 bytes little endian; 0 there means "written without a checksum".
 */
final class RdbFileFormat {
  private RdbFileFormat() {}

  static final String MAGIC = "REDIS";

  /** What Redis 7.0 writes, and the newest it loads. */
  static final int VERSION = DumpPayload.RDB_VERSION;

  /** The checksum after EOF exists from this version on. */
  static final int FIRST_CHECKSUMMED_VERSION = 5;

  /** Redis 7.0's: the code of a function library, one string (RDB_OPCODE_FUNCTION2). */
  static final int FUNCTION = 245;

  /** Redis 7.0's release candidates' (name, engine, description, code), which 7.0 still loads. */
  static final int FUNCTION_PRE_GA = 246;

  /** A module's data outside any key: module id, when, then module opcodes up to their EOF. */
  static final int MODULE_AUX = 247;

  /** The next key's LRU idle time in seconds (a length), written under an LRU maxmemory policy. */
  static final int IDLE = 248;

  /** The next key's LFU counter (one byte), written under an LFU maxmemory policy. */
  static final int FREQ = 249;

  /** A name and a value, both strings: facts about the file (redis-ver, ctime...). */
  static final int AUX = 250;

  /** The database's key and expiry counts, sizing hints for the loader. */
  static final int RESIZEDB = 251;

  /** The next key's absolute expiry, Unix milliseconds, 8 bytes little endian. */
  static final int EXPIRETIME_MS = 252;

  /** The same in seconds, 4 bytes (written before version 3, still read). */
  static final int EXPIRETIME = 253;

  static final int SELECTDB = 254;

  static final int EOF = 255;

  /** Inside module data (MODULE_AUX and module values): what follows each length-encoded tag. */
  static final int MODULE_OPCODE_EOF = 0;

  static final int MODULE_OPCODE_SINT = 1;
  static final int MODULE_OPCODE_UINT = 2;
  static final int MODULE_OPCODE_FLOAT = 3;
  static final int MODULE_OPCODE_DOUBLE = 4;
  static final int MODULE_OPCODE_STRING = 5;
}
