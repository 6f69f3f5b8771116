package io.keyshard.persistence.rdb;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * FUNCTION DUMP's payload, as Redis 7.0 writes it: for each library the opcode
 * RDB_OPCODE_FUNCTION2 and its code as an RDB string, then the 2-byte RDB version and the
 * CRC-64 of everything before it (the footer of a DUMP payload). Also a node's saved libraries.
 */
public final class FunctionPayload {
  private FunctionPayload() {}

  public static byte[] encode(List<byte[]> codes) {
    RdbOutput out = new RdbOutput(256);
    for (byte[] code : codes) {
      out.writeByte(RdbFileFormat.FUNCTION);
      out.writeString(code);
    }
    return DumpPayload.wrap(java.util.Arrays.copyOf(out.array(), out.size()));
  }

  /**
   * The library name in a library's metadata line ({@code #!<engine> name=<name> ...}), or null
   * if the first line has no {@code name=} word. Lenient: the loader (FUNCTION LOAD, RESTORE)
   * checks the line with Redis's errors; this only names a library in reports and manifests.
   */
  public static String libraryName(byte[] code) {
    if (code.length < 2 || code[0] != '#' || code[1] != '!') {
      return null;
    }
    int end = 2;
    while (end < code.length && code[end] != '\n') {
      end++;
    }
    for (String word : new String(code, 2, end - 2, StandardCharsets.UTF_8).trim().split("[ \t]+")) {
      if (word.startsWith("name=")) {
        return word.substring("name=".length());
      }
    }
    return null;
  }

  /**
   * The libraries' code in a payload {@link DumpPayload#verify} accepted; anything else in it is
   * a {@link RdbFormatException} (the payload came from a client).
   */
  public static List<byte[]> decode(byte[] payload) throws RdbFormatException {
    RdbInput in = new RdbInput(payload, 0, payload.length - DumpPayload.FOOTER);
    List<byte[]> codes = new ArrayList<>();
    while (in.remaining() > 0) {
      int op = in.readUnsignedByte();
      if (op != RdbFileFormat.FUNCTION) {
        throw new RdbFormatException("given type is not a function");
      }
      codes.add(in.readString());
    }
    return codes;
  }
}
