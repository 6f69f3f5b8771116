package io.keyshard.persistence.rocks;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serialization$;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The values of the store. An event keeps the fields of a pekko-persistence-jdbc journal row
 * (so a converter between the two is a field-by-field copy) and the payload's bytes exactly as
 * its serializer (KeyshardSerializer for Keyshard's events) produced them:
 * <pre>
 * event    = version:u8(1) writeTime:i64 timestamp:i64 writerUuid:str adapterManifest:str
 *            payload tags:(count:i32 str*) hasMeta:u8 [payload]
 * snapshot = version:u8(1) timestamp:i64 payload hasMeta:u8 [payload]
 * payload  = serializerId:i32 manifest:str bytes:(len:i32 u8*)
 * str      = DataOutput.writeUTF: a u16 length, then modified UTF-8
 * </pre>
 * writeTime is the journal's clock when the write was handed to the writer (for a later
 * point-in-time restore); timestamp is the PersistentRepr's (the write time when it had none).
 */
final class RecordCodec {
  private static final int VERSION = 1;

  private final ExtendedActorSystem system;
  private final Serialization serialization;

  RecordCodec(ExtendedActorSystem system) {
    this.system = system;
    this.serialization = SerializationExtension.get(system);
  }

  byte[] encodeEvent(PersistentRepr repr, long writeTime) {
    // Payloads may hold actor refs, which serialize only with the system's address at hand.
    return Serialization$.MODULE$.withTransportInformation(system,
        () -> encodeEventNow(repr, writeTime));
  }

  private byte[] encodeEventNow(PersistentRepr repr, long writeTime) {
    Object payload = repr.payload();
    List<String> tags = List.of();
    if (payload instanceof Tagged tagged) {
      tags = new ArrayList<>(CollectionConverters.asJava(tagged.tags()));
      payload = tagged.payload();
    }
    try (Out out = new Out()) {
      out.data.writeByte(VERSION);
      out.data.writeLong(writeTime);
      out.data.writeLong(repr.timestamp() != 0 ? repr.timestamp() : writeTime);
      out.data.writeUTF(repr.writerUuid());
      out.data.writeUTF(repr.manifest());
      writePayload(out.data, payload);
      out.data.writeInt(tags.size());
      for (String tag : tags) {
        out.data.writeUTF(tag);
      }
      writeOptionalPayload(out.data, repr.metadata());
      return out.bytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  PersistentRepr decodeEvent(String persistenceId, long seqNr, byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      checkVersion(in.readUnsignedByte());
      in.readLong(); // writeTime: kept for point-in-time restore
      long timestamp = in.readLong();
      String writerUuid = in.readUTF();
      String adapterManifest = in.readUTF();
      Object payload = readPayload(in);
      int tagCount = in.readInt();
      for (int i = 0; i < tagCount; i++) {
        in.readUTF(); // tags serve queries by tag; a replay returns the bare payload (as JDBC)
      }
      PersistentRepr repr = PersistentRepr.apply(payload, seqNr, persistenceId, adapterManifest,
          false, ActorRef.noSender(), writerUuid).withTimestamp(timestamp);
      if (in.readUnsignedByte() == 1) {
        repr = repr.withMetadata(readPayload(in));
      }
      return repr;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The write time of a stored event, without deserializing its payload. */
  static long writeTimeOf(byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      in.readUnsignedByte();
      return in.readLong();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  byte[] encodeSnapshot(SnapshotMetadata metadata, Object snapshot) {
    return Serialization$.MODULE$.withTransportInformation(system,
        () -> encodeSnapshotNow(metadata, snapshot));
  }

  private byte[] encodeSnapshotNow(SnapshotMetadata metadata, Object snapshot) {
    try (Out out = new Out()) {
      out.data.writeByte(VERSION);
      out.data.writeLong(metadata.timestamp());
      writePayload(out.data, snapshot);
      writeOptionalPayload(out.data, metadata.metadata());
      return out.bytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A stored snapshot: its timestamp, and its payload, deserialized only when asked for. */
  record StoredSnapshot(long timestamp, byte[] value) {
    static StoredSnapshot of(byte[] value) {
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
        in.readUnsignedByte();
        return new StoredSnapshot(in.readLong(), value);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  SnapshotMetadata snapshotMetadata(String persistenceId, long seqNr, StoredSnapshot stored) {
    SnapshotMetadata metadata = SnapshotMetadata.apply(persistenceId, seqNr, stored.timestamp());
    Object meta = snapshotParts(stored)[1];
    return meta == null ? metadata : metadata.withMetadata(meta);
  }

  Object snapshotPayload(StoredSnapshot stored) {
    return snapshotParts(stored)[0];
  }

  private Object[] snapshotParts(StoredSnapshot stored) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored.value()))) {
      checkVersion(in.readUnsignedByte());
      in.readLong();
      Object payload = readPayload(in);
      Object meta = in.readUnsignedByte() == 1 ? readPayload(in) : null;
      return new Object[] {payload, meta};
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writePayload(DataOutputStream out, Object payload) throws IOException {
    Serializer serializer = serialization.findSerializerFor(payload);
    byte[] bytes = serializer.toBinary(payload);
    out.writeInt(serializer.identifier());
    out.writeUTF(Serializers.manifestFor(serializer, payload));
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private void writeOptionalPayload(DataOutputStream out, Option<Object> payload)
      throws IOException {
    if (payload.isDefined()) {
      out.writeByte(1);
      writePayload(out, payload.get());
    } else {
      out.writeByte(0);
    }
  }

  private Object readPayload(DataInputStream in) throws IOException {
    int serializerId = in.readInt();
    String manifest = in.readUTF();
    byte[] bytes = in.readNBytes(in.readInt());
    return serialization.deserialize(bytes, serializerId, manifest).get();
  }

  private static void checkVersion(int version) {
    if (version != VERSION) {
      throw new IllegalStateException("unknown journal record version " + version);
    }
  }

  private static final class Out implements AutoCloseable {
    final ByteArrayOutputStream buffer = new ByteArrayOutputStream(128);
    final DataOutputStream data = new DataOutputStream(buffer);

    byte[] bytes() throws IOException {
      data.flush();
      return buffer.toByteArray();
    }

    @Override
    public void close() {}
  }
}
