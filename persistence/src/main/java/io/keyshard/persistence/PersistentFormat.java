package io.keyshard.persistence;

/**
 * Marker for everything that is written to the journal or the snapshot store. Bound to
 * {@link KeyshardSerializer}, which prefixes a format version and names each type by a stable
 * manifest, so class renames never break stored data.
 */
public interface PersistentFormat {}
