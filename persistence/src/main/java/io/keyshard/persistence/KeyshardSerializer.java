package io.keyshard.persistence;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Serializes every {@link PersistentFormat}: a one-byte format version, then CBOR (Jackson).
 *
 * <p>The manifest is a stable short name from {@link #MANIFESTS}, not the class name, so classes
 * can move or be renamed without touching stored data. The table is append-only: a name, once
 * written to a journal, means that type forever. Backups of any topology read these bytes.
 */
public final class KeyshardSerializer extends SerializerWithStringManifest {

  /** The serializer id stored beside every payload it wrote (journal rows and records). */
  public static final int ID = 7379;

  /** The format version written now; readers accept every version up to this one. */
  public static final int FORMAT_VERSION = 1;

  static final Map<Class<?>, String> MANIFESTS = new HashMap<>();
  private static final Map<String, Class<?>> CLASSES = new HashMap<>();

  static {
    register(SlotEvent.ValueSet.class, "ValueSet");
    register(SlotEvent.Appended.class, "Appended");
    register(SlotEvent.RangeSet.class, "RangeSet");
    register(SlotEvent.KeysDeleted.class, "KeysDeleted");
    register(SlotEvent.KeysExpired.class, "KeysExpired");
    register(SlotEvent.ExpirySet.class, "ExpirySet");
    register(SlotEvent.KeyRenamed.class, "KeyRenamed");
    register(SlotEvent.KeyCopied.class, "KeyCopied");
    register(SlotEvent.KeyMoved.class, "KeyMoved");
    register(SlotEvent.DbFlushed.class, "DbFlushed");
    register(SlotSnapshot.class, "SlotSnapshot");
    register(IndexEvent.SlotRegistered.class, "SlotRegistered");
    register(IndexEvent.SlotUnregistered.class, "SlotUnregistered");
    register(IndexEvent.IndexSnapshot.class, "IndexSnapshot");
    register(SlotEvent.TxApplied.class, "TxApplied");
    register(SlotEvent.KeyRestored.class, "KeyRestored");
    register(TxEvent.TxPrepared.class, "TxPrepared");
    register(TxEvent.TxCompleted.class, "TxCompleted");
    register(TxEvent.TxLogSnapshot.class, "TxLogSnapshot");
    register(SlotEvent.HashFieldsSet.class, "HashFieldsSet");
    register(SlotEvent.HashFieldsDeleted.class, "HashFieldsDeleted");
    register(SlotTableEvent.NodeSeen.class, "NodeSeen");
    register(SlotTableEvent.SlotsAssigned.class, "SlotsAssigned");
    register(SlotTableEvent.TableSnapshot.class, "TableSnapshot");
    register(SlotTableEvent.NodeForgotten.class, "NodeForgotten");
    register(SlotTableEvent.SlotsUnassigned.class, "SlotsUnassigned");
    register(SlotTableEvent.ReplicaSet.class, "ReplicaSet");
    register(SlotEvent.KeysEvicted.class, "KeysEvicted");
    register(TxEvent.TxLogClaimed.class, "TxLogClaimed");
    register(SlotEvent.KeysHandedOver.class, "KeysHandedOver");
    register(SlotTableEvent.SlotMigrating.class, "SlotMigrating");
    register(SlotTableEvent.SlotImporting.class, "SlotImporting");
    register(SlotTableEvent.SlotStable.class, "SlotStable");

    // Lists (ListEvent):
    register(ListEvent.Pushed.class, "ListPushed");
    register(ListEvent.Popped.class, "ListPopped");
    register(ListEvent.Set.class, "ListSet");
    register(ListEvent.Inserted.class, "ListInserted");
    register(ListEvent.Removed.class, "ListRemoved");
    register(ListEvent.Trimmed.class, "ListTrimmed");

    // Sets (SetEvent):
    register(SetEvent.MembersAdded.class, "SetMembersAdded");
    register(SetEvent.MembersRemoved.class, "SetMembersRemoved");


    // Sorted sets (ZSetEvent):
    register(ZSetEvent.ScoresSet.class, "ZScoresSet");
    register(ZSetEvent.MembersRemoved.class, "ZMembersRemoved");

    // Streams (StreamEvent):
    register(StreamEvent.Added.class, "StreamAdded");
    register(StreamEvent.Deleted.class, "StreamDeleted");
    register(StreamEvent.Trimmed.class, "StreamTrimmed");
    register(StreamEvent.IdsSet.class, "StreamIdsSet");
    register(StreamEvent.GroupSet.class, "StreamGroupSet");
    register(StreamEvent.GroupDestroyed.class, "StreamGroupDestroyed");
    register(StreamEvent.ConsumerSeen.class, "StreamConsumerSeen");
    register(StreamEvent.ConsumerDeleted.class, "StreamConsumerDeleted");
    register(StreamEvent.Assigned.class, "StreamAssigned");
    register(StreamEvent.Released.class, "StreamReleased");
  }

  static Class<?> typeOf(String manifest) {
    return CLASSES.get(manifest);
  }

  private static void register(Class<?> type, String manifest) {
    MANIFESTS.put(type, manifest);
    CLASSES.put(manifest, type);
  }

  private static final ObjectMapper MAPPER =
      CBORMapper.builder()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES) // newer writers may add fields
          // A field added later is absent (null) in old data: leave it out when writing null, so
          // adding an optional field never changes the bytes of data that lacks it.
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .build();

  private static final ClassValue<ObjectReader> READERS =
      new ClassValue<>() {
        @Override
        protected ObjectReader computeValue(Class<?> type) {
          return MAPPER.readerFor(type);
        }
      };

  public KeyshardSerializer(ExtendedActorSystem system) {}

  public KeyshardSerializer() {}

  @Override
  public int identifier() {
    return ID;
  }

  @Override
  public String manifest(Object o) {
    String m = MANIFESTS.get(o.getClass());
    if (m == null) {
      throw new IllegalArgumentException("No manifest for " + o.getClass());
    }
    return m;
  }

  @Override
  public byte[] toBinary(Object o) {
    try {
      byte[] body = MAPPER.writeValueAsBytes(o);
      byte[] out = new byte[body.length + 1];
      out[0] = (byte) FORMAT_VERSION;
      System.arraycopy(body, 0, out, 1, body.length);
      return out;
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot serialize " + o.getClass(), e);
    }
  }

  /** A slot event as it is nested in a transaction record. */
  public TxEvent.Nested nest(SlotEvent e) {
    return new TxEvent.Nested(manifest(e), toBinary(e));
  }

  public SlotEvent unnest(TxEvent.Nested n) {
    try {
      return (SlotEvent) fromBinary(n.bytes(), n.manifest());
    } catch (NotSerializableException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    return fromBinary(bytes, 0, bytes.length, manifest);
  }

  /**
   * {@link #fromBinary(byte[], String)} of the {@code length} bytes at {@code offset} of a larger
   * array (a journal record read at start), without copying them out.
   */
  public Object fromBinary(byte[] buffer, int offset, int length, String manifest)
      throws NotSerializableException {
    Class<?> type = typeOf(manifest);
    if (type == null) {
      throw new NotSerializableException("Unknown manifest " + manifest);
    }
    int version = length == 0 ? -1 : buffer[offset];
    if (version < 1 || version > FORMAT_VERSION) {
      throw new NotSerializableException(
          "Format version " + version + " of " + manifest + " is newer than this build reads");
    }
    Object direct = DirectDecoder.decode(manifest, buffer, offset + 1, length - 1);
    return direct != null ? direct : withJackson(type, manifest, buffer, offset, length);
  }

  /** What Jackson reads from a payload (DirectDecoderTest compares the two). */
  Object withJackson(Class<?> type, String manifest, byte[] buffer, int offset, int length)
      throws NotSerializableException {
    try {
      // A reader per type: the mapper would look the type's deserializer up on every call.
      return READERS.get(type).readValue(buffer, offset + 1, length - 1);
    } catch (IOException e) {
      NotSerializableException n = new NotSerializableException(manifest + ": " + e.getMessage());
      n.initCause(e);
      throw n;
    }
  }
}
