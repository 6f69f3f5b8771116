package io.keyshard.node.server;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The wrapper of a request that a node importing a slot forwards to the slot's owner after its
 * client's ASKING (docs/decisions/2026-12-06-slot-migration-protocol.md):
 * {@code KEYSHARD.ASKED <migration id> <the request's argv...>}. Not a command: it is not in the
 * command table, and the router unwraps it only in cluster mode and only spelled exactly so,
 * so no ordinary client sends it by accident. Sent on purpose it does no more than ASKING on
 * the importing node does.
 */
final class AskedForward {
  private AskedForward() {}

  private static final byte[] NAME = "KEYSHARD.ASKED".getBytes(StandardCharsets.US_ASCII);

  static byte[][] wrap(long migration, byte[][] argv) {
    byte[][] out = new byte[argv.length + 2][];
    out[0] = NAME;
    out[1] = Long.toString(migration).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(argv, 0, out, 2, argv.length);
    return out;
  }

  /** The migration id of a wrapped request, or -1 if argv is not one. */
  static long migrationOf(byte[][] argv) {
    if (argv.length < 3 || !Arrays.equals(argv[0], NAME)) {
      return -1;
    }
    try {
      long id = Long.parseLong(new String(argv[1], StandardCharsets.US_ASCII));
      return id < 0 ? -1 : id;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The forwarded request itself. */
  static byte[][] inner(byte[][] argv) {
    return Arrays.copyOfRange(argv, 2, argv.length);
  }
}
