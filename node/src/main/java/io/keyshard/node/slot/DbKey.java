package io.keyshard.node.slot;

import io.keyshard.persistence.Bytes;

/** A key of one of the slot's databases: what WATCH and blocked clients are keyed by. */
record DbKey(int db, Bytes key) {}
