package io.keyshard.node.slot;

import io.keyshard.protocol.Reply;

/**
 * A command body that runs inside a slot actor against that slot's keyspace. It reads through
 * {@link SlotContext} and changes state only by {@link SlotContext#emit emitting} events; the
 * slot persists what was emitted before the reply goes out. Routing, arity and the slot check
 * have already happened: a body never knows about clusters or other slots.
 */
@FunctionalInterface
public interface SlotCommand {
  Reply run(SlotContext ctx);
}
