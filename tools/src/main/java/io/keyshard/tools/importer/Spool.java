package io.keyshard.tools.importer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The RDB a source sends a replica, kept on local disk as it arrives: one entry per key (its
 * database, expiry, RDB type and DUMP payload), so the source's link is read at disk speed
 * however slowly the target takes the keys (a slow reader makes the source buffer the command
 * stream until its replica output limit drops the link). Loaded from the disk after; a run
 * killed while loading goes on from the entry it had reached.
 */
final class Spool {
  private Spool() {}

  /** One key of the RDB: expireAt in Unix ms, -1 for none. */
  record Entry(int db, byte[] key, long expireAt, int rdbType, byte[] payload) {}

  static final class Writer implements AutoCloseable {
    final Path file;
    private final DataOutputStream out;
    long entries;
    long bytes;

    Writer(Path file) throws IOException {
      this.file = file;
      this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
    }

    void add(Entry e) throws IOException {
      out.writeInt(e.db());
      out.writeLong(e.expireAt());
      out.writeByte(e.rdbType());
      out.writeInt(e.key().length);
      out.write(e.key());
      out.writeInt(e.payload().length);
      out.write(e.payload());
      entries++;
      bytes += e.key().length + e.payload().length;
    }

    /** Ends the spool: a reader stops at the end mark, and a spool without one is incomplete. */
    void finish() throws IOException {
      out.writeInt(-1);
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }

  static final class Reader implements AutoCloseable {
    private final DataInputStream in;

    Reader(Path file) throws IOException {
      this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
    }

    /** The next entry, or null after the last. */
    Entry next() throws IOException {
      int db;
      try {
        db = in.readInt();
      } catch (EOFException e) {
        throw new IOException("the spool ends without its end mark: it is incomplete", e);
      }
      if (db < 0) {
        return null;
      }
      long expireAt = in.readLong();
      int type = in.readUnsignedByte();
      byte[] key = new byte[in.readInt()];
      in.readFully(key);
      byte[] payload = new byte[in.readInt()];
      in.readFully(payload);
      return new Entry(db, key, expireAt, type, payload);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
