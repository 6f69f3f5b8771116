package io.keyshard.node.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A node's id as Redis Cluster shows it: 40 lowercase hex digits, made once and kept in
 * {@code <dir>/node.id}, so a restarted node is the same node to the slot table and to clients.
 */
public final class NodeIdentity {
  private NodeIdentity() {}

  static final String FILE = "node.id";

  public static String loadOrCreate(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (Files.exists(file)) {
      String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
      if (!isValid(id)) {
        throw new IOException(file + " does not hold a node id (40 hex digits): " + id);
      }
      return id;
    }
    byte[] random = new byte[20];
    new SecureRandom().nextBytes(random);
    String id = HexFormat.of().formatHex(random);
    Path tmp = dir.resolve(FILE + ".tmp");
    Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    return id;
  }

  public static boolean isValid(String id) {
    return id.length() == 40 && id.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
}
