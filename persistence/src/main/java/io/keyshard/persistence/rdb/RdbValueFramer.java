package io.keyshard.persistence.rdb;

import java.io.IOException;

/**
 * Finds where a value ends in an RDB file by walking its structure (counts, strings, doubles)
 * without decoding it: so a value's bytes can be copied out of a stream (the input records them)
 * and handed to {@link RdbValueReader}, and values Keyshard cannot hold (streams, module
 * values, module aux data) can be stepped over. Every loop consumes at least one byte per turn,
 * so a count, however large, ends at the data's end; the decoded size of the strings is summed
 * and bounded, so what the decoder then builds stays within the caller's limit.
 */
final class RdbValueFramer {
  private final RdbFileInput in;
  private final long maxDecoded;
  private long decoded;

  RdbValueFramer(RdbFileInput in, long maxDecoded) {
    this.in = in;
    this.maxDecoded = maxDecoded;
  }

  /** Whether {@link #frame} knows the type: the ones {@link RdbValueReader} reads. */
  static boolean frames(int type) {
    return switch (type) {
      case RdbType.STRING, RdbType.LIST, RdbType.SET, RdbType.ZSET, RdbType.HASH,
          RdbType.ZSET_2, RdbType.HASH_ZIPMAP, RdbType.LIST_ZIPLIST, RdbType.SET_INTSET,
          RdbType.ZSET_ZIPLIST, RdbType.HASH_ZIPLIST, RdbType.LIST_QUICKLIST,
          RdbType.HASH_LISTPACK, RdbType.ZSET_LISTPACK, RdbType.LIST_QUICKLIST_2,
          RdbType.STREAM_LISTPACKS, RdbType.STREAM_LISTPACKS_2 -> true;
      default -> false;
    };
  }

  private void string() throws IOException, RdbFormatException {
    decoded += in.skipString(maxDecoded - decoded);
    if (decoded > maxDecoded) {
      throw in.fail("value larger than the limit of " + maxDecoded + " bytes once decoded");
    }
  }

  /** Consumes a value of one of the types {@link #frames} accepts. */
  void frame(int type) throws IOException, RdbFormatException {
    decoded = 0;
    switch (type) {
      case RdbType.STREAM_LISTPACKS, RdbType.STREAM_LISTPACKS_2 ->
          skipStream(type == RdbType.STREAM_LISTPACKS_2);
      case RdbType.LIST, RdbType.SET, RdbType.LIST_QUICKLIST -> {
        for (long n = in.readLen(); n > 0; n--) {
          string();
        }
      }
      case RdbType.HASH -> {
        for (long n = in.readLen(); n > 0; n--) {
          string();
          string();
        }
      }
      case RdbType.ZSET -> {
        for (long n = in.readLen(); n > 0; n--) {
          string();
          // A score as text: a length byte (253-255 stand for NaN and infinities), the text.
          int len = in.readUnsignedByte();
          if (len < 253) {
            in.skip(len);
          }
        }
      }
      case RdbType.ZSET_2 -> {
        for (long n = in.readLen(); n > 0; n--) {
          string();
          in.skip(8);
        }
      }
      case RdbType.LIST_QUICKLIST_2 -> {
        for (long n = in.readLen(); n > 0; n--) {
          in.readLen(); // the container: checked by the decoder
          string();
        }
      }
      // A string that holds the whole encoded collection: ziplist, listpack, intset, zipmap.
      default -> string();
    }
  }

  /**
   * Steps over a stream (types 15 and 19, Redis 5 to 7.0): its listpacks, its length and ids,
   * and its consumer groups with their pending entries and consumers.
   */
  void skipStream(boolean v2) throws IOException, RdbFormatException {
    for (long n = in.readLen(); n > 0; n--) {
      in.skipString(Long.MAX_VALUE); // the node's master id (16 bytes)
      string(); // the node's listpack
    }
    in.readUnsignedLen(); // entries
    in.readUnsignedLen(); // last id: milliseconds
    in.readUnsignedLen(); // and sequence
    if (v2) {
      in.readUnsignedLen(); // first id
      in.readLen();
      in.readUnsignedLen(); // max deleted entry id
      in.readLen();
      in.readUnsignedLen(); // entries added
    }
    for (long groups = in.readLen(); groups > 0; groups--) {
      in.skipString(Long.MAX_VALUE); // name
      in.readUnsignedLen(); // last delivered id
      in.readLen();
      if (v2) {
        in.readUnsignedLen(); // entries read
      }
      for (long pending = in.readLen(); pending > 0; pending--) {
        in.skip(16); // entry id, raw
        in.skip(8); // delivery time
        in.readUnsignedLen(); // delivery count
      }
      for (long consumers = in.readLen(); consumers > 0; consumers--) {
        in.skipString(Long.MAX_VALUE); // name
        in.skip(8); // seen time
        for (long pending = in.readLen(); pending > 0; pending--) {
          in.skip(16); // entry id, raw
        }
      }
    }
  }

  /**
   * Steps over module data (a module value of type 7 after its module id, or MODULE_AUX after
   * its header): tagged fields up to the EOF tag. Without the module nothing else can be known.
   */
  void skipModuleData() throws IOException, RdbFormatException {
    while (true) {
      long tag = in.readLen();
      switch ((int) Math.min(tag, Integer.MAX_VALUE)) {
        case RdbFileFormat.MODULE_OPCODE_EOF:
          return;
        case RdbFileFormat.MODULE_OPCODE_SINT, RdbFileFormat.MODULE_OPCODE_UINT:
          in.readLen();
          break;
        case RdbFileFormat.MODULE_OPCODE_FLOAT:
          in.skip(4);
          break;
        case RdbFileFormat.MODULE_OPCODE_DOUBLE:
          in.skip(8);
          break;
        case RdbFileFormat.MODULE_OPCODE_STRING:
          in.skipString(Long.MAX_VALUE);
          break;
        default:
          throw in.fail("unknown module data tag " + tag);
      }
    }
  }

  /**
   * The name a 64-bit module id carries: nine characters of 6 bits each from the top, from
   * the module API's charset (the low 10 bits are the encoding version).
   */
  static String moduleName(long id) {
    String charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    StringBuilder name = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      name.append(charset.charAt((int) ((id >>> (58 - 6 * i)) & 63)));
    }
    return name + " (encoding version " + (id & 1023) + ")";
  }
}
