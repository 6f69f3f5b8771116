package io.keyshard.tools;

import io.keyshard.persistence.rdb.DumpPayload;
import io.keyshard.persistence.rdb.FunctionPayload;
import io.keyshard.persistence.rdb.RdbFormatException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A server's FUNCTION libraries, as the backup and import tools move them: read with FUNCTION
 * DUMP (the exact code, binary-safe), written with FUNCTION RESTORE and a policy (APPEND,
 * REPLACE), named by their metadata line's name and told apart by the SHA-256 of their code.
 */
public final class Libraries {
  private Libraries() {}

  /** One library: its name and its whole code, metadata line first. */
  public record Library(String name, byte[] code) {
    public String sha256() {
      return Libraries.sha256(code);
    }
  }

  public static Library of(byte[] code) {
    String name = FunctionPayload.libraryName(code);
    return new Library(name == null ? "?" : name, code);
  }

  /**
   * The server's libraries by name, or null when it has no FUNCTION (Redis before 7.0, Pika,
   * a server that renamed it away).
   */
  public static Map<String, Library> read(Jedis j) {
    Object dump;
    try {
      dump = j.sendCommand(() -> "FUNCTION".getBytes(StandardCharsets.US_ASCII), "DUMP");
    } catch (JedisDataException e) {
      String m = String.valueOf(e.getMessage());
      if (m.startsWith("ERR unknown command") || m.contains("unknown subcommand")) {
        return null;
      }
      throw e;
    }
    Map<String, Library> libs = new TreeMap<>();
    if (dump == null) {
      return libs; // a server with none may answer nil
    }
    byte[] payload = (byte[]) dump;
    try {
      if (!DumpPayload.verify(payload)) {
        throw new IllegalStateException("FUNCTION DUMP's payload has a wrong version or checksum");
      }
      for (byte[] code : FunctionPayload.decode(payload)) {
        Library l = of(code);
        libs.put(l.name(), l);
      }
    } catch (RdbFormatException e) {
      throw new IllegalStateException("FUNCTION DUMP's payload does not read: " + e.getMessage(), e);
    }
    return libs;
  }

  /**
   * FUNCTION RESTORE of {@code libs} with {@code policy} (APPEND or REPLACE): all of them or,
   * on an error (a library or function name taken), none; the error is Redis's.
   */
  public static void restore(Jedis j, List<Library> libs, String policy) {
    if (libs.isEmpty()) {
      return;
    }
    List<byte[]> codes = new ArrayList<>();
    libs.forEach(l -> codes.add(l.code()));
    j.sendCommand(
        () -> "FUNCTION".getBytes(StandardCharsets.US_ASCII),
        "RESTORE".getBytes(StandardCharsets.US_ASCII),
        FunctionPayload.encode(codes),
        policy.getBytes(StandardCharsets.US_ASCII));
  }

  public static String sha256(byte[] code) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(code));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Name to SHA-256 of the code, for comparing sets. */
  public static Map<String, String> shas(Map<String, Library> libs) {
    Map<String, String> out = new TreeMap<>();
    libs.values().forEach(l -> out.put(l.name(), l.sha256()));
    return out;
  }

  /**
   * The differences between two sets of libraries (name to SHA-256 of the code), one line
   * each: a library missing on the right, only on the right, or with another code there.
   */
  public static List<String> differences(
      Map<String, String> left, Map<String, String> right, String leftName, String rightName) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, String> l : left.entrySet()) {
      String r = right.get(l.getKey());
      if (r == null) {
        out.add("library " + l.getKey() + ": missing on " + rightName);
      } else if (!l.getValue().equals(r)) {
        out.add("library " + l.getKey() + ": another code on " + rightName + " (" + leftName + " "
            + l.getValue().substring(0, 12) + "..., " + rightName + " " + r.substring(0, 12) + "...)");
      }
    }
    for (String r : right.keySet()) {
      if (!left.containsKey(r)) {
        out.add("library " + r + ": only on " + rightName);
      }
    }
    return out;
  }
}
