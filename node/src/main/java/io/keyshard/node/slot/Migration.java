package io.keyshard.node.slot;

/**
 * A slot migrating away from this node (CLUSTER SETSLOT MIGRATING), as its entity needs it:
 * {@code id}, the migration's id in the slot table (the keys handed over carry it), and the
 * target's client address, "host:port", for ASK
 * (docs/decisions/2026-12-06-slot-migration-protocol.md).
 */
public record Migration(long id, String target) {}
