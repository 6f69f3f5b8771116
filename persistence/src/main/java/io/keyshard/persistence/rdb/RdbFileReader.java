package io.keyshard.persistence.rdb;

import io.keyshard.persistence.Value;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads an RDB file from a stream, one item at a time ({@link #next}), holding no more than one
 * value in memory: any file Redis 7.0 loads that holds Keyshard's types, versions 1 to 10, as
 * written by any Redis from 2.x to 7.0. The input is hostile: every length is bounded (a key or
 * value by {@link Options#maxValueBytes}, as stored and decoded; nothing is sized from a length
 * before its bytes have arrived), every problem is an {@link RdbFormatException} naming the
 * offset, the checksum is verified at EOF, a newer version is refused, and the stream must end
 * right after the checksum (a socket transfer is given a stream bounded to the file's length).
 * Function libraries come out as {@link RdbItem.Function}; module values and module aux data
 * are stepped over and reported as {@link RdbItem.Unsupported}; IDLE and FREQ (LRU/LFU hints)
 * are read and dropped.
 *
 * <p>Items come out before the checksum at the end is seen: a caller that must not act on a
 * corrupt file reads it once to the end (null from next) before acting on it.
 */
public final class RdbFileReader {
  /**
   * How much to trust and do. {@code maxValueBytes} bounds one key or value, as the file holds it
   * and decoded (Redis's largest string is 512 MB; the default leaves collections twice that).
   * {@code decode} false: entries carry only their encoded bytes (a restore through RESTORE,
   * which decodes on the server); framing and checksum are checked all the same.
   * {@code requireChecksum} false also accepts what Redis loads unchecked: files of version 4 and
   * older (they have no checksum) and files written with {@code rdbchecksum no} (a checksum of 0);
   * true refuses them, so that no corruption goes unnoticed.
   */
  public record Options(long maxValueBytes, boolean decode, boolean requireChecksum) {
    public static final Options DEFAULT = new Options(1L << 30, true, true);

    public Options withDecode(boolean d) {
      return new Options(maxValueBytes, d, requireChecksum);
    }

    public Options withRequireChecksum(boolean r) {
      return new Options(maxValueBytes, decode, r);
    }

    public Options withMaxValueBytes(long max) {
      return new Options(max, decode, requireChecksum);
    }
  }

  private final RdbFileInput in;
  private final long maxValueBytes;
  private final Options options;
  private final RdbValueFramer framer;
  private final RdbOutput valueBytes = new RdbOutput(1 << 12);

  private int version = -1;
  private boolean done;
  private boolean checksumVerified;
  private int db;
  private long expireAtMs = -1;

  public RdbFileReader(InputStream in) {
    this(in, Options.DEFAULT);
  }

  public RdbFileReader(InputStream in, Options options) {
    this.in = new RdbFileInput(in);
    this.options = options;
    // Java arrays end at 2 GB; a value's bytes live in one.
    this.maxValueBytes = Math.min(options.maxValueBytes(), Integer.MAX_VALUE - 64);
    this.framer = new RdbValueFramer(this.in, this.maxValueBytes);
  }

  /** The file's RDB version (reads the header if no item was read yet). */
  public int version() throws IOException, RdbFormatException {
    if (version < 0) {
      readHeader();
    }
    return version;
  }

  /** Bytes consumed so far: for progress, and what the last message's offsets refer to. */
  public long offset() {
    return in.offset();
  }

  /**
   * After the end: whether a checksum was there and matched (always, unless the options let a
   * file without one through).
   */
  public boolean checksumVerified() {
    return checksumVerified;
  }

  private void readHeader() throws IOException, RdbFormatException {
    byte[] header = new byte[9];
    in.readFully(header);
    String magic = new String(header, 0, 5, StandardCharsets.ISO_8859_1);
    if (!magic.equals(RdbFileFormat.MAGIC)) {
      throw new RdbFormatException("offset 0: not an RDB file (starts with '" + printable(
          Arrays.copyOf(header, 5)) + "', not 'REDIS')");
    }
    int v = 0;
    for (int i = 5; i < 9; i++) {
      if (header[i] < '0' || header[i] > '9') {
        throw new RdbFormatException("offset 5: RDB version '" + printable(
            Arrays.copyOfRange(header, 5, 9)) + "' is not a number");
      }
      v = v * 10 + (header[i] - '0');
    }
    if (v < 1 || v > RdbFileFormat.VERSION) {
      throw new RdbFormatException("offset 5: RDB version " + v + " not supported (this reader "
          + "reads 1 to " + RdbFileFormat.VERSION + ", as Redis 7.0 does)");
    }
    if (v < RdbFileFormat.FIRST_CHECKSUMMED_VERSION && options.requireChecksum()) {
      throw new RdbFormatException("offset 5: RDB version " + v + " has no checksum, and one is "
          + "required");
    }
    version = v;
  }

  /** The next item, or null once EOF is read and the checksum matched. */
  public RdbItem next() throws IOException, RdbFormatException {
    if (version < 0) {
      readHeader();
    }
    while (!done) {
      long at = in.offset();
      int op = in.readUnsignedByte();
      switch (op) {
        case RdbFileFormat.EOF -> end();
        case RdbFileFormat.AUX -> {
          String name = latin1(in.readString(maxValueBytes, "AUX field name"));
          return new RdbItem.Aux(name, latin1(in.readString(maxValueBytes, "AUX field " + name)));
        }
        case RdbFileFormat.SELECTDB -> {
          long n = in.readLen();
          if (n > Integer.MAX_VALUE) {
            throw new RdbFormatException("offset " + at + ": database number " + n);
          }
          db = (int) n;
        }
        case RdbFileFormat.RESIZEDB -> {
          long keys = in.readLen();
          return new RdbItem.DbSize(db, keys, in.readLen());
        }
        case RdbFileFormat.EXPIRETIME_MS -> expireAtMs = in.readLittleEndian(8);
        // Seconds as a signed 32-bit number.
        case RdbFileFormat.EXPIRETIME -> expireAtMs = (int) in.readLittleEndian(4) * 1000L;
        case RdbFileFormat.IDLE -> in.readLen();
        case RdbFileFormat.FREQ -> in.readUnsignedByte();
        case RdbFileFormat.FUNCTION -> {
          return new RdbItem.Function(in.readString(maxValueBytes, "function library"), at);
        }
        case RdbFileFormat.FUNCTION_PRE_GA -> {
          return preReleaseFunction(at);
        }
        case RdbFileFormat.MODULE_AUX -> {
          return moduleAux(at);
        }
        default -> {
          return entry(op, at);
        }
      }
    }
    return null;
  }

  private void end() throws IOException, RdbFormatException {
    if (version >= RdbFileFormat.FIRST_CHECKSUMMED_VERSION) {
      long computed = in.crc();
      long at = in.offset();
      long stored = in.readLittleEndian(8);
      if (stored == 0) {
        if (options.requireChecksum()) {
          throw new RdbFormatException("offset " + at + ": no checksum (0: written with "
              + "rdbchecksum no, or corrupt), and one is required");
        }
      } else if (stored != computed) {
        throw new RdbFormatException("offset " + at + ": checksum mismatch (the file says "
            + Long.toHexString(stored) + ", its contents give " + Long.toHexString(computed)
            + "): the file is corrupt");
      }
      checksumVerified = stored != 0;
    }
    // Nothing may follow: bytes after the end mean the file is not what its framing says.
    in.expectEnd();
    done = true;
  }

  /**
   * A library as Redis 7.0's release candidates wrote it: its name, engine, a description if the
   * next length is not 0, and the code without its metadata line. Redis 7.0 loads it as the code
   * with a metadata line naming the engine and the library put in front (the description goes);
   * so does this.
   */
  private RdbItem preReleaseFunction(long at) throws IOException, RdbFormatException {
    byte[] name = in.readString(maxValueBytes, "function library name");
    byte[] engine = in.readString(maxValueBytes, "function library engine");
    if (in.readLen() != 0) {
      in.readString(maxValueBytes, "function library description");
    }
    byte[] body = in.readString(maxValueBytes, "function library code");
    RdbOutput code = new RdbOutput(body.length + engine.length + name.length + 9);
    code.write("#!".getBytes(StandardCharsets.US_ASCII));
    code.write(engine);
    code.write(" name=".getBytes(StandardCharsets.US_ASCII));
    code.write(name);
    code.writeByte('\n');
    code.write(body);
    if (code.size() > maxValueBytes) {
      throw new RdbFormatException("offset " + at + ": function library of " + code.size()
          + " bytes, more than the limit of " + maxValueBytes);
    }
    return new RdbItem.Function(Arrays.copyOf(code.array(), code.size()), at);
  }

  private RdbItem moduleAux(long at) throws IOException, RdbFormatException {
    long id = in.readUnsignedLen();
    long whenTag = in.readLen();
    in.readLen(); // when: before or after the keys
    if (whenTag != RdbFileFormat.MODULE_OPCODE_UINT) {
      throw new RdbFormatException("offset " + at + ": module aux data without its 'when'");
    }
    framer.skipModuleData();
    return new RdbItem.Unsupported(
        RdbItem.Kind.MODULE_AUX, db, null, RdbValueFramer.moduleName(id), at);
  }

  private RdbItem entry(int type, long at) throws IOException, RdbFormatException {
    byte[] key = in.readString(maxValueBytes, "key");
    long expire = expireAtMs;
    expireAtMs = -1;
    switch (type) {
      case RdbType.MODULE_2 -> {
        long id = in.readUnsignedLen();
        framer.skipModuleData();
        return new RdbItem.Unsupported(
            RdbItem.Kind.MODULE_VALUE, db, key, RdbValueFramer.moduleName(id), at);
      }
      case RdbType.MODULE ->
          throw new RdbFormatException("offset " + at + ": key '" + printable(key)
              + "' holds a module value of the pre-release format (type 6), which no Redis "
              + "since 4.0 loads");
      default -> {
        if (!RdbValueFramer.frames(type)) {
          throw new RdbFormatException("offset " + at + ": unknown opcode or value type " + type);
        }
      }
    }
    valueBytes.clear();
    valueBytes.writeByte(type);
    in.startRecording(valueBytes, maxValueBytes, "value of key '" + printable(key) + "'");
    try {
      framer.frame(type);
    } catch (RdbFormatException e) {
      throw new RdbFormatException("key '" + printable(key) + "' (type " + type + ") at offset "
          + at + ": " + e.getMessage());
    } finally {
      in.stopRecording();
    }
    byte[] encoded = Arrays.copyOf(valueBytes.array(), valueBytes.size());
    Value value = null;
    if (options.decode()) {
      try {
        RdbValueReader.Read read = RdbValueReader.readBody(type, encoded, 1, encoded.length);
        if (read.end() != encoded.length) {
          throw new RdbFormatException("the value ends before its bytes do");
        }
        value = read.value();
      } catch (RdbFormatException e) {
        throw new RdbFormatException("offset " + at + ": value of key '" + printable(key)
            + "' (type " + type + "): " + e.getMessage());
      }
    }
    return new RdbItem.Entry(db, key, value, encoded, expire, at);
  }

  private static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** For messages: printable ASCII as it is, other bytes as \xNN, at most 64 bytes shown. */
  static String printable(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, 64); i++) {
      int c = b[i] & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    if (b.length > 64) {
      sb.append("... (").append(b.length).append(" bytes)");
    }
    return sb.toString();
  }
}
