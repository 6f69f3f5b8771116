package io.keyshard.node.server;

import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Reply;
import java.util.SortedSet;

/**
 * What the command table says about one request, worked out once by {@link Router#route}:
 * RespServer needs it to keep pipeline order ({@link Router#keepsOrder}) and the router to
 * dispatch it. {@code invalid}: the error when the table rejects it (then the rest is null).
 */
public record Route(
    Reply invalid, CommandSpec top, CommandSpec spec, SortedSet<Integer> slots, boolean evictFirst) {}
