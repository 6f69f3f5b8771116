package io.keyshard.node;

/**
 * Marker for actor messages that may cross nodes, bound to Pekko's jackson-cbor serializer.
 * (Journal and snapshot formats use {@code PersistentFormat} instead, which carries a version.)
 */
public interface CborSerializable {}
