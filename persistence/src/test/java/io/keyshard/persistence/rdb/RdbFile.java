package io.keyshard.persistence.rdb;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Just enough of the RDB file format to take the values out of Redis's own test files: the
 * header, the opcodes around key/value pairs, and each value's bytes (type byte first), found
 * by reading the value with the codec under test. Each value becomes a DUMP payload.
 */
final class RdbFile {
  private RdbFile() {}

  record Entry(String key, byte[] valueBytes) {
    /** The value as a DUMP payload of RDB version 10. */
    byte[] payload() {
      return Payloads.wrap(valueBytes);
    }
  }

  static List<Entry> entries(byte[] file) throws RdbFormatException {
    if (!new String(file, 0, 5, StandardCharsets.US_ASCII).equals("REDIS")) {
      throw new IllegalArgumentException("not an RDB file");
    }
    RdbInput in = new RdbInput(file, 9, file.length);
    List<Entry> out = new ArrayList<>();
    while (true) {
      int op = in.readUnsignedByte();
      switch (op) {
        case 0xff: // EOF
          return out;
        case 0xfa: // AUX field: two strings
          in.readString();
          in.readString();
          break;
        case 0xfe: // SELECTDB
          in.readLen();
          break;
        case 0xfb: // RESIZEDB
          in.readLen();
          in.readLen();
          break;
        case 0xfd: // EXPIRETIME (seconds)
          in.readLittleEndian(4);
          break;
        case 0xfc: // EXPIRETIME_MS
          in.readLittleEndian(8);
          break;
        default: {
          String key = new String(in.readString(), StandardCharsets.ISO_8859_1);
          int valueStart = file.length - in.remaining();
          // The type byte was before the key: reassemble type + value.
          RdbInput value = new RdbInput(file, valueStart, file.length);
          try {
            RdbValueReader.readBody(op, value);
          } catch (RdbFormatException refused) {
            // Refused where it went wrong: for the empty values of Redis's corrupt test file
            // that is where the value ends.
          }
          int end = file.length - value.remaining();
          out.add(new Entry(key, concat(op, Arrays.copyOfRange(file, valueStart, end))));
          in = value;
          break;
        }
      }
    }
  }

  private static byte[] concat(int type, byte[] rest) {
    byte[] b = new byte[rest.length + 1];
    b[0] = (byte) type;
    System.arraycopy(rest, 0, b, 1, rest.length);
    return b;
  }
}
