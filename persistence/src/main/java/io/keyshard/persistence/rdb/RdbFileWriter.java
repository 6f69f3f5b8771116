package io.keyshard.persistence.rdb;

import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes an RDB file of version 10 to a stream as redis-server 7.0.15 writes one with SAVE, so
 * that {@code redis-check-rdb} accepts it and Redis 7.0 loads it: "REDIS0010", the AUX fields
 * redis-ver, redis-bits, ctime, used-mem, aof-base (in that order, then any extra ones the caller
 * gives), the function libraries if any ({@link #function}), per database SELECTDB and
 * RESIZEDB, per key EXPIRETIME_MS when it expires, then the type byte, key and value ({@link
 * RdbValueWriter}, the encoding Redis gives the value), EOF and the CRC-64 of the whole file. Strings are not LZF-compressed (Redis with rdbcompression no).
 * Memory holds one value's bytes at a time.
 *
 * <p>Calls: the constructor (header), the libraries, then per database {@link #selectDb} and
 * its keys, then {@link #finish}. Databases and keys in any order; Redis writes databases
 * ascending.
 */
public final class RdbFileWriter implements Closeable {
  /** The version Keyshard answers INFO's redis_version with, so the file says what it is. */
  public static final String REDIS_VERSION = "7.0.15";

  private static final int FLUSH_AT = 1 << 16;

  /**
   * The AUX fields: {@code usedMemory} is the writer's own estimate (Redis logs it when loading,
   * nothing more); {@code extra} fields follow Redis's (Redis skips names it does not know).
   */
  public record Header(
      String redisVersion, long ctimeSeconds, long usedMemory, Map<String, String> extra) {
    public static Header now(long usedMemory) {
      return new Header(REDIS_VERSION, System.currentTimeMillis() / 1000, usedMemory, Map.of());
    }

    public Header with(String name, String value) {
      Map<String, String> more = new LinkedHashMap<>(extra);
      more.put(name, value);
      return new Header(redisVersion, ctimeSeconds, usedMemory, more);
    }
  }

  private final OutputStream out;
  /** Bytes not yet written to out (not yet in crc). */
  private final RdbOutput stage = new RdbOutput(FLUSH_AT * 2);
  private final RdbOutput value = new RdbOutput(1 << 12);
  private long crc;
  private long written;
  private boolean dbSelected;
  private boolean finished;

  public RdbFileWriter(OutputStream out, Header header) throws IOException {
    this.out = out;
    stage.write(ascii(RdbFileFormat.MAGIC + String.format("%04d", RdbFileFormat.VERSION)));
    aux("redis-ver", header.redisVersion());
    aux("redis-bits", "64");
    aux("ctime", Long.toString(header.ctimeSeconds()));
    aux("used-mem", Long.toString(header.usedMemory()));
    // The file is not the base of an AOF (Redis's aof-use-rdb-preamble writes 1 there).
    aux("aof-base", "0");
    for (Map.Entry<String, String> e : header.extra().entrySet()) {
      aux(e.getKey(), e.getValue());
    }
    flushIfFull();
  }

  private void aux(String name, String text) {
    stage.writeByte(RdbFileFormat.AUX);
    // Integers go in their short forms, as Redis writes ctime and the rest.
    stage.writeString(name.getBytes(StandardCharsets.ISO_8859_1));
    stage.writeString(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * A function library (FUNCTION LOAD's code, its metadata line first) as Redis 7.0 saves one:
   * the opcode RDB_OPCODE_FUNCTION2 and the code as a string. Redis writes them after the AUX
   * fields and before the databases, and a loader creates each as FUNCTION LOAD would: a file
   * naming a library twice does not load. So they are accepted here only before the first
   * {@link #selectDb}, and the caller writes each library once.
   */
  public void function(byte[] code) throws IOException {
    checkOpen();
    if (dbSelected) {
      throw new IllegalStateException("a function library after the databases began");
    }
    stage.writeByte(RdbFileFormat.FUNCTION);
    if (code.length < FLUSH_AT) {
      stage.writeString(code);
      flushIfFull();
    } else {
      stage.writeLen(code.length);
      flush();
      send(code, 0, code.length);
    }
  }

  /**
   * The keys that follow are of database {@code db}. The counts are Redis's RESIZEDB: the
   * database's keys and keys with an expiry, exact in Redis's files; a loader only presizes
   * with them, so an estimate does no harm.
   */
  public void selectDb(int db, long keys, long expires) throws IOException {
    checkOpen();
    if (db < 0) {
      throw new IllegalArgumentException("database " + db);
    }
    stage.writeByte(RdbFileFormat.SELECTDB);
    stage.writeLen(db);
    stage.writeByte(RdbFileFormat.RESIZEDB);
    stage.writeLen(keys);
    stage.writeLen(expires);
    dbSelected = true;
    flushIfFull();
  }

  /** A key of the selected database; {@code expireAtMs} absolute Unix ms, or -1 for none. */
  public void write(byte[] key, Value v, long expireAtMs) throws IOException {
    checkOpen();
    if (!dbSelected) {
      throw new IllegalStateException("a key before any selectDb");
    }
    if (!(v instanceof StringValue) && v.elementCount() == 0) {
      // Redis refuses a file holding an empty collection ("empty keys"): a bug upstream.
      throw new IllegalArgumentException("empty " + v.typeName() + " under a key");
    }
    value.clear();
    RdbValueWriter.write(v, value);
    if (expireAtMs != -1) {
      stage.writeByte(RdbFileFormat.EXPIRETIME_MS);
      stage.writeLittleEndian(expireAtMs, 8);
    }
    stage.writeByte(value.array()[0] & 0xff);
    stage.writeString(key);
    if (value.size() < FLUSH_AT) {
      stage.write(value.array(), 1, value.size() - 1);
      flushIfFull();
    } else {
      // A large value goes to the stream from its own buffer, not copied once more.
      flush();
      send(value.array(), 1, value.size() - 1);
    }
  }

  /** EOF and the checksum, then flushes (the stream stays open). */
  public void finish() throws IOException {
    checkOpen();
    stage.writeByte(RdbFileFormat.EOF);
    flush();
    stage.writeLittleEndian(crc, 8);
    flush();
    out.flush();
    finished = true;
  }

  /** Bytes handed to the stream so far (the file's size once finished). */
  public long bytesWritten() {
    return written;
  }

  private void checkOpen() {
    if (finished) {
      throw new IllegalStateException("the file is finished");
    }
  }

  private void flushIfFull() throws IOException {
    if (stage.size() >= FLUSH_AT) {
      flush();
    }
  }

  private void flush() throws IOException {
    send(stage.array(), 0, stage.size());
    stage.clear();
  }

  private void send(byte[] b, int off, int len) throws IOException {
    crc = Crc64.update(crc, b, off, len);
    out.write(b, off, len);
    written += len;
  }

  /** Closes the stream; a file not finished first is incomplete and no loader accepts it. */
  @Override
  public void close() throws IOException {
    out.close();
  }
}
