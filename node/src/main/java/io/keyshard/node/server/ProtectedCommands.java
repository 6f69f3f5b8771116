package io.keyshard.node.server;

import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Redis 7.0's protected commands: DEBUG runs only as enable-debug-command allows ("no" by
 * default, "yes", or "local" for loopback clients). Redis checks this right after the arity,
 * before NOAUTH and ACL, and the refusal dooms a MULTI, so the router asks here first.
 */
final class ProtectedCommands {
  private ProtectedCommands() {}

  static final Reply DEBUG_NOT_ALLOWED =
      Err.err(
          "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you"
              + " can run it from a local connection, otherwise you need to set this option in"
              + " the configuration file, and then restart the server.");

  /** Redis's refusal, or null if the command may run. */
  static Reply refusal(NodeSettings settings, Session s, CommandSpec top) {
    if (!top.name().equals("debug")) {
      return null;
    }
    return switch (settings.enableDebugCommand()) {
      case "yes" -> null;
      case "local" -> isLoopback(s.addr) ? null : DEBUG_NOT_ALLOWED;
      default -> DEBUG_NOT_ALLOWED;
    };
  }

  /** {@code addr} is "host:port" with the host as an address literal, never a name to look up. */
  static boolean isLoopback(String addr) {
    int colon = addr.lastIndexOf(':');
    if (colon <= 0) {
      return false;
    }
    try {
      return InetAddress.getByName(addr.substring(0, colon)).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
