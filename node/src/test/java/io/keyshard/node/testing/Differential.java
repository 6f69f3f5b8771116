package io.keyshard.node.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Runs the same commands against Keyshard and a real redis-server and compares the replies
 * exactly (errors included). Normalise only what Redis leaves unspecified, by passing a
 * normaliser for that command (for example sorting an unordered reply).
 */
public final class Differential implements AutoCloseable {
  private final RawClient keyshard;
  private final RawClient redis;
  private final List<String> mismatches = new ArrayList<>();

  public Differential(int keyshardPort, int redisPort) throws IOException {
    this.keyshard = new RawClient(keyshardPort);
    this.redis = new RawClient(redisPort);
  }

  /** Runs one command on both; records a mismatch; returns Redis's reply. */
  public String check(String... args) throws IOException {
    return check(UnaryOperator.identity(), args);
  }

  public String check(UnaryOperator<String> normalise, String... args) throws IOException {
    String expected = normalise.apply(redis.call(args));
    String actual = normalise.apply(keyshard.call(args));
    if (!expected.equals(actual)) {
      mismatches.add(String.join(" ", args) + "\n    redis:    " + expected + "\n    keyshard: " + actual);
    }
    return expected;
  }

  /** Runs a command on both without comparing (setup whose reply Redis leaves unspecified). */
  public void both(String... args) throws IOException {
    redis.call(args);
    keyshard.call(args);
  }

  public RawClient keyshard() {
    return keyshard;
  }

  public RawClient redis() {
    return redis;
  }

  /** Fails listing every mismatch seen so far. */
  public void assertNoMismatches() {
    assertEquals("", String.join("\n", mismatches), mismatches.size() + " mismatching replies");
  }

  /** Sorts the elements of a flat array reply, for replies Redis returns in no set order. */
  public static String sorted(String reply) {
    if (!reply.startsWith("[") || reply.equals("[]")) {
      return reply;
    }
    List<String> items = new ArrayList<>(List.of(reply.substring(1, reply.length() - 1).split(", ")));
    items.sort(null);
    return items.toString();
  }

  @Override
  public void close() throws IOException {
    keyshard.close();
    redis.close();
  }
}
