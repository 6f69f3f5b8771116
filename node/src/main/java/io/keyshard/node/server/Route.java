package io.keyshard.node.server;

import io.keyshard.node.commands.CommandRegistry.Binding;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Reply;
import java.util.SortedSet;

/**
 * What the command table says about one request, worked out once by {@link Router#route}:
 * RespServer needs it to keep pipeline order ({@link Router#keepsOrder}) and the router to
 * dispatch it. {@code invalid}: the error when the table rejects it (then the rest is null);
 * {@code binding}: the command's handler in the registry, looked up once per request;
 * {@code asked}: for a request the node importing its slot forwarded after ASKING (wrapped, see
 * {@link AskedForward}), the migration id it was forwarded under; -1 for any other request.
 */
public record Route(
    Reply invalid,
    CommandSpec top,
    CommandSpec spec,
    Binding binding,
    SortedSet<Integer> slots,
    boolean evictFirst,
    long asked) {
  public Route(
      Reply invalid,
      CommandSpec top,
      CommandSpec spec,
      Binding binding,
      SortedSet<Integer> slots,
      boolean evictFirst) {
    this(invalid, top, spec, binding, slots, evictFirst, -1);
  }
}
