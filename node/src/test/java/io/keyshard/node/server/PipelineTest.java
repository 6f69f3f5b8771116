package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.NodeAndRedisTestBase;
import io.keyshard.node.testing.RawClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pipelined requests, sent as raw bytes in one write: every reply comes back, in request order,
 * and a read sees the writes pipelined before it, also when the key's slot is written for the
 * first time. Each case also runs against redis-server, so the expectations are Redis's.
 */
@Timeout(120)
class PipelineTest extends NodeAndRedisTestBase {

  /** Requests encoded back to back, with the reply each one must get. */
  private static final class Pipeline {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final List<String> requests = new ArrayList<>();
    final List<String> expected = new ArrayList<>();

    void add(String reply, String... args) {
      StringBuilder sb = new StringBuilder().append('*').append(args.length).append("\r\n");
      for (String a : args) {
        byte[] b = a.getBytes(StandardCharsets.UTF_8);
        sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
      }
      out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
      requests.add(String.join(" ", args));
      expected.add(reply);
    }
  }

  /**
   * Writes the whole pipeline in one write on another thread (the server may stop reading until
   * replies are consumed) while this thread reads; returns the first mismatch, or "" if none.
   */
  private static String run(int port, byte[] pipeline, List<String> requests,
      List<String> expected) throws Exception {
    try (RawClient c = new RawClient(port)) {
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                try {
                  c.sendRaw(pipeline);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      StringBuilder shown = new StringBuilder();
      int mismatches = 0;
      for (int i = 0; i < expected.size(); i++) {
        String reply = c.readReply();
        if (!reply.equals(expected.get(i))) {
          if (++mismatches <= 10) {
            shown.append("\n  reply ").append(i).append(" (").append(requests.get(i))
                .append("): expected ").append(expected.get(i)).append(" got ").append(reply);
          }
          if (reply.equals("(closed)")) {
            break;
          }
        }
      }
      writer.get();
      assertEquals("+PONG", c.call("PING"), "the connection still answers after the pipeline");
      return mismatches == 0 ? "" : mismatches + " mismatching replies, the first:" + shown;
    }
  }

  /** Runs the pipeline built so far on both servers, checking every reply. */
  private static void onBoth(Pipeline p) throws Exception {
    byte[] bytes = p.out.toByteArray();
    assertEquals("", run(redis.port(), bytes, p.requests, p.expected), "redis");
    assertEquals("", run(node.port(), bytes, p.requests, p.expected), "keyshard");
  }

  /** 10,002 requests in one write: SET, then GET of the same key, then INCR of one counter. */
  @Test
  void tenThousandSetGetIncrInOrder() throws Exception {
    Pipeline p = new Pipeline();
    for (int i = 0; i < 3_334; i++) {
      p.add("+OK", "SET", "key:" + i, "value:" + i);
      p.add("\"value:" + i + "\"", "GET", "key:" + i);
      p.add(":" + (i + 1), "INCR", "counter");
    }
    onBoth(p);
    try (RawClient c = new RawClient(node.port())) {
      assertEquals(":3335", c.call("DBSIZE"));
      assertEquals("\"3334\"", c.call("GET", "counter"));
      assertEquals("\"value:3333\"", c.call("GET", "key:3333"));
    }
  }

  /** Reads, writes and deletes of the same keys interleaved, spread over many slots. */
  @Test
  void readsSeeEarlierWritesOfThePipeline() throws Exception {
    Pipeline p = new Pipeline();
    for (int i = 0; i < 500; i++) {
      String k = "fresh:" + i;
      p.add("(nil)", "GET", k);
      p.add("+OK", "SET", k, "a");
      p.add(":1", "EXISTS", k);
      p.add(":2", "APPEND", k, "b");
      p.add("\"ab\"", "GET", k);
      p.add(":1", "DEL", k);
      p.add("(nil)", "GET", k);
      p.add("+OK", "SET", k, "c");
    }
    for (int i = 0; i < 500; i += 25) {
      p.add("[\"c\", \"c\", (nil)]", "MGET", "fresh:" + i, "fresh:" + (i + 1), "nope:" + i);
      p.add("+OK", "MSET", "m:" + i, "x", "n:" + i, "y");
      p.add("[\"x\", \"y\"]", "MGET", "m:" + i, "n:" + i);
      p.add(":3", "DEL", "m:" + i, "n:" + i, "fresh:" + i);
      p.add(":0", "EXISTS", "m:" + i, "n:" + i, "fresh:" + i);
    }
    p.add(":480", "DBSIZE");
    onBoth(p);
  }

  /**
   * Commands that span slots (MSET, MGET, DEL over several slots) or the whole keyspace (DBSIZE,
   * KEYS, FLUSHALL) take effect in pipeline order relative to single-slot commands, as in Redis,
   * where a pipeline runs one request after the other.
   */
  @Test
  void multiSlotAndKeyspaceCommandsKeepPipelineOrder() throws Exception {
    Pipeline p = new Pipeline();
    for (int i = 0; i < 60; i++) {
      String k = "k:" + i;
      String o = "o:" + i;
      p.add("+OK", "SET", k, "old");
      p.add("+OK", "MSET", k, "new", o, "x");
      p.add("\"new\"", "GET", k);
      p.add("+OK", "SET", o, "y");
      p.add("[\"new\", \"y\"]", "MGET", k, o);
      p.add(":1", "DEL", k);
      p.add(":1", "EXISTS", k, o);
      p.add(":1", "DEL", k, o);
      p.add("(nil)", "GET", o);
      p.add("+OK", "SET", o, "z");
      p.add(":" + (i + 1), "DBSIZE");
      p.add("[\"" + o + "\"]", "KEYS", o);
    }
    p.add("+OK", "FLUSHALL");
    p.add("+OK", "SET", "after-flush", "v");
    p.add(":1", "DBSIZE");
    p.add("+OK", "MSET", "a", "1", "b", "2", "c", "3");
    p.add("+OK", "FLUSHDB");
    p.add("(nil)", "GET", "a");
    p.add("+OK", "SET", "a", "again");
    p.add("\"again\"", "GET", "a");
    p.add(":1", "DBSIZE");
    onBoth(p);
  }

  /** Error replies take their place in the order; the requests after them are served. */
  @Test
  void errorRepliesDoNotBreakThePipeline() throws Exception {
    Pipeline p = new Pipeline();
    for (int i = 0; i < 400; i++) {
      p.add("+OK", "SET", "s:" + i, "x");
      p.add("-ERR value is not an integer or out of range", "INCR", "s:" + i);
      p.add("-ERR unknown command 'NOSUCH', with args beginning with: 'a' ", "NOSUCH", "a");
      p.add("-ERR wrong number of arguments for 'get' command", "GET", "s:" + i, "extra");
      p.add("\"x\"", "GET", "s:" + i);
    }
    onBoth(p);
  }
}
