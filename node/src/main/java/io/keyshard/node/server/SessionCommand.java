package io.keyshard.node.server;

import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Reply;
import java.util.concurrent.CompletionStage;

/**
 * A command that runs at the connection, not in one slot: connection state (SELECT, HELLO,
 * AUTH), server introspection (INFO, CONFIG, CLIENT), and keyspace-wide or multi-slot work that
 * fans out to slots (DBSIZE, KEYS, SCAN, MGET across slots). Called in request order; anything
 * that changes the session must happen before the returned stage is created.
 */
@FunctionalInterface
public interface SessionCommand {
  CompletionStage<Reply> run(Session session, byte[][] argv, CommandSpec spec);
}
