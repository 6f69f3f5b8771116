package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.NodeAndRedisTestBase;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * WAIT on a node without replicas against a redis-server 7.0.15 without replicas: the count (0),
 * that it waits for its timeout, the errors and their order, inside MULTI/EXEC (never blocks),
 * in a script (refused), and on a replica (refused before the arguments are read).
 */
class WaitDifferentialTest extends NodeAndRedisTestBase {
  @Test
  void repliesAndErrorsAsRedis() throws Exception {
    try (Differential d = new Differential(node.port(), redis.port())) {
      d.check("WAIT", "0", "0");
      d.check("WAIT", "-1", "0");
      d.check("SET", "k", "v");
      d.check("WAIT", "0", "100");
      d.check("WAIT", "abc", "0");
      d.check("WAIT", "abc", "-1");
      d.check("WAIT", "1", "abc");
      d.check("WAIT", "1", "1.5");
      d.check("WAIT", "1", "-1");
      d.check("WAIT", "1", "-0");
      d.check("WAIT", "1.5", "0");
      d.check("WAIT", "1");
      d.check("WAIT", "1", "2", "3");
      d.check("MULTI");
      d.check("SET", "a", "1");
      d.check("WAIT", "1", "0");
      d.check("WAIT", "5", "0");
      d.check("WAIT", "1", "-1");
      d.check("EXEC");
      d.check("EVAL", "return redis.call('wait', 1, 0)", "0");
      d.check("EVAL", "return redis.pcall('wait', 0, 0)", "0");
      d.check("COMMAND", "INFO", "WAIT");
      d.assertNoMismatches();
    }
  }

  /** WAIT 1 100 without replicas waits its timeout, then answers 0, on both servers. */
  @Test
  void waitsForItsTimeoutThenAnswersZero() throws Exception {
    for (int port : new int[] {redis.port(), node.port()}) {
      try (RawClient c = new RawClient(port)) {
        c.call("SET", "k", "v");
        long t0 = System.nanoTime();
        assertEquals(":0", c.call("WAIT", "1", "100"), "port " + port);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 100, "answered after " + ms + " ms on port " + port);
        // The connection is usable after it.
        assertEquals("+PONG", c.call("PING"));
      }
    }
  }

  /** WAIT 1 0 without replicas never answers; the connection's later requests wait behind it. */
  @Test
  void waitsForeverWithoutATimeout() throws Exception {
    for (int port : new int[] {redis.port(), node.port()}) {
      try (RawClient c = new RawClient(port)) {
        c.send("WAIT".getBytes(), "1".getBytes(), "0".getBytes());
        c.send("PING".getBytes());
        c.setReadTimeout(500);
        boolean answered;
        try {
          c.readReply();
          answered = true;
        } catch (SocketTimeoutException expected) {
          answered = false;
        }
        assertTrue(!answered, "WAIT 1 0 answered without a replica on port " + port);
      }
      // Other clients are served meanwhile.
      try (RawClient other = new RawClient(port)) {
        assertEquals("+PONG", other.call("PING"));
      }
    }
  }

  /** Redis refuses WAIT on a replica before it reads the arguments. */
  @Test
  void aRedisReplicaRefusesWaitWithThisText() throws Exception {
    try (RedisProcess replica = RedisProcess.start("--replicaof", "127.0.0.1", Integer.toString(redis.port()));
        RawClient c = new RawClient(replica.port())) {
      String expected = "-ERR " + WaitCommand.ON_REPLICA;
      assertEquals(expected, c.call("WAIT", "0", "0"));
      assertEquals(expected, c.call("WAIT", "x", "-1"));
    }
  }
}
