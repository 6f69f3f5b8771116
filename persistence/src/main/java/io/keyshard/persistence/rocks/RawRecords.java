package io.keyshard.persistence.rocks;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The store's records field by field, without deserializing payloads: what a converter between
 * this store and pekko-persistence-jdbc's tables copies (the same bytes, sequence numbers and
 * times). The byte format is RecordCodec's, which stays the one definition of it; this class
 * only reads and writes the same fields without a serializer.
 */
public final class RawRecords {
  private RawRecords() {}

  private static final int VERSION = 1;

  /** A payload as its serializer wrote it. */
  public record Payload(int serializerId, String manifest, byte[] bytes) {}

  /** One journal event; {@code meta} may be null. */
  public record Event(
      String persistenceId,
      long seqNr,
      long writeTime,
      long timestamp,
      String writer,
      String adapterManifest,
      Payload payload,
      List<String> tags,
      Payload meta) {}

  /** One snapshot; {@code meta} may be null. */
  public record Snapshot(String persistenceId, long seqNr, long timestamp, Payload payload, Payload meta) {}

  /**
   * Where a record's payload lies, for a reader that deserializes it itself (a node's bulk load
   * at start): its serializer, manifest, and the range of {@code record} holding its bytes.
   */
  public record PayloadView(int serializerId, String manifest, byte[] record, int offset, int length) {}

  /**
   * The payload of an event record, or null if the record carries more than a bare payload (an
   * adapter manifest, tags or metadata), which only a full decode through Pekko handles.
   */
  public static PayloadView eventPayload(byte[] record) {
    return eventPayload(record, record.length);
  }

  /** {@link #eventPayload(byte[])} of a record that is the first {@code length} bytes. */
  public static PayloadView eventPayload(byte[] record, int length) {
    checkVersion(record[0] & 0xFF);
    int at = 1 + 8 + 8; // version, writeTime, timestamp
    at += 2 + u16(record, at); // writer uuid
    if (u16(record, at) != 0) {
      return null; // an event adapter's manifest
    }
    at += 2;
    PayloadView payload = payloadAt(record, at, length);
    at = payload.offset() + payload.length();
    if (at + 5 > length || i32(record, at) != 0 || record[at + 4] != 0) {
      return null; // tags or metadata
    }
    return payload;
  }

  /** The payload of a snapshot record, or null if it carries metadata. */
  public static PayloadView snapshotPayload(byte[] record) {
    return snapshotPayload(record, record.length);
  }

  /** {@link #snapshotPayload(byte[])} of a record that is the first {@code length} bytes. */
  public static PayloadView snapshotPayload(byte[] record, int length) {
    checkVersion(record[0] & 0xFF);
    PayloadView payload = payloadAt(record, 1 + 8, length); // version, timestamp
    int end = payload.offset() + payload.length();
    return end >= length || record[end] != 0 ? null : payload;
  }

  private static PayloadView payloadAt(byte[] record, int at, int recordLength) {
    int serializerId = i32(record, at);
    int manifestLength = u16(record, at + 4);
    // Manifests are short ASCII names (KeyshardSerializer's table); modified UTF-8 of ASCII is
    // ASCII, so this is what readUTF would give.
    String manifest = new String(record, at + 6, manifestLength, StandardCharsets.ISO_8859_1);
    int lengthAt = at + 6 + manifestLength;
    int length = i32(record, lengthAt);
    if (length < 0 || lengthAt + 4 + length > recordLength) {
      throw new IllegalStateException("journal record's payload runs past its end");
    }
    if (!isAscii(record, at + 6, manifestLength)) {
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(record, at + 4, 2 + manifestLength))) {
        manifest = in.readUTF();
      } catch (IOException x) {
        throw new UncheckedIOException(x);
      }
    }
    return new PayloadView(serializerId, manifest, record, lengthAt + 4, length);
  }

  private static boolean isAscii(byte[] b, int from, int length) {
    for (int i = from; i < from + length; i++) {
      if (b[i] <= 0) {
        return false;
      }
    }
    return true;
  }

  private static int u16(byte[] b, int at) {
    return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
  }

  private static int i32(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
  }

  static byte[] encode(Event e) {
    try (ByteArrayOutputStream buffer = new ByteArrayOutputStream(128);
        DataOutputStream out = new DataOutputStream(buffer)) {
      out.writeByte(VERSION);
      out.writeLong(e.writeTime());
      out.writeLong(e.timestamp());
      out.writeUTF(e.writer());
      out.writeUTF(e.adapterManifest());
      write(out, e.payload());
      out.writeInt(e.tags().size());
      for (String tag : e.tags()) {
        out.writeUTF(tag);
      }
      writeOptional(out, e.meta());
      out.flush();
      return buffer.toByteArray();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  static Event decodeEvent(String persistenceId, long seqNr, byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      checkVersion(in.readUnsignedByte());
      long writeTime = in.readLong();
      long timestamp = in.readLong();
      String writer = in.readUTF();
      String adapterManifest = in.readUTF();
      Payload payload = read(in);
      int tagCount = in.readInt();
      List<String> tags = new ArrayList<>(tagCount);
      for (int i = 0; i < tagCount; i++) {
        tags.add(in.readUTF());
      }
      Payload meta = in.readUnsignedByte() == 1 ? read(in) : null;
      return new Event(persistenceId, seqNr, writeTime, timestamp, writer, adapterManifest, payload, tags, meta);
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  static byte[] encode(Snapshot s) {
    try (ByteArrayOutputStream buffer = new ByteArrayOutputStream(128);
        DataOutputStream out = new DataOutputStream(buffer)) {
      out.writeByte(VERSION);
      out.writeLong(s.timestamp());
      write(out, s.payload());
      writeOptional(out, s.meta());
      out.flush();
      return buffer.toByteArray();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  static Snapshot decodeSnapshot(String persistenceId, long seqNr, byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      checkVersion(in.readUnsignedByte());
      long timestamp = in.readLong();
      Payload payload = read(in);
      Payload meta = in.readUnsignedByte() == 1 ? read(in) : null;
      return new Snapshot(persistenceId, seqNr, timestamp, payload, meta);
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  private static void write(DataOutputStream out, Payload p) throws IOException {
    out.writeInt(p.serializerId());
    out.writeUTF(p.manifest());
    out.writeInt(p.bytes().length);
    out.write(p.bytes());
  }

  private static void writeOptional(DataOutputStream out, Payload p) throws IOException {
    if (p == null) {
      out.writeByte(0);
    } else {
      out.writeByte(1);
      write(out, p);
    }
  }

  private static Payload read(DataInputStream in) throws IOException {
    int serializerId = in.readInt();
    String manifest = in.readUTF();
    return new Payload(serializerId, manifest, in.readNBytes(in.readInt()));
  }

  private static void checkVersion(int version) {
    if (version != VERSION) {
      throw new IllegalStateException("unknown journal record version " + version);
    }
  }
}
