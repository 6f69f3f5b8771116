package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CLIENT TRACKING (Redis 7.0's client-side caching) against a real redis-server 7.0.15: the same
 * script of commands over several raw connections on each server, and the transcripts compared
 * whole: every reply, and every invalidation each connection received (RESP3 pushes, RESP2
 * messages on __redis__:invalidate after REDIRECT), drained with a PING as a fence, in the
 * order they came (an invalidation of a key a connection changed itself follows that command's
 * reply, as in Redis). Client ids differ between servers, so each is written as the name of its
 * connection.
 */
class ClientTrackingDifferentialTest {
  private static RedisProcess redis;
  private static TestNode node;

  @BeforeAll
  static void startServers() throws Exception {
    redis = RedisProcess.start("--enable-debug-command", "yes");
    node =
        TestNode.start(
            java.nio.file.Files.createTempDirectory("keyshard-test"),
            Map.of("keyshard.enable-debug-command", "yes"));
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (node != null) {
      node.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @BeforeEach
  void reset() throws Exception {
    for (int port : new int[] {node.port(), redis.port()}) {
      try (RawClient c = new RawClient(port)) {
        assertEquals("+OK", c.call("FLUSHALL"));
        assertEquals("+OK", c.call("CONFIG", "SET", "tracking-table-max-keys", "1000000"));
        assertEquals("+OK", c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"));
      }
    }
  }

  /** The connections of one run on one server, and everything they saw, in order. */
  private static final class Run implements AutoCloseable {
    final int port;
    final Map<String, Conn> conns = new HashMap<>();
    final Map<String, String> idNames = new HashMap<>();
    final List<String> transcript = new ArrayList<>();

    Run(int port) {
      this.port = port;
    }

    /** A new connection called {@code name}, in RESP3 if {@code resp3}. */
    Conn open(String name, boolean resp3) throws Exception {
      Conn c = new Conn(this, name, new RawClient(port));
      conns.put(name, c);
      String id = c.c.call("CLIENT", "ID");
      idNames.put(id.substring(1), name);
      if (resp3) {
        assertTrue(c.c.call("HELLO", "3").startsWith("{"));
      }
      return c;
    }

    String id(String name) {
      return idNames.entrySet().stream().filter(e -> e.getValue().equals(name)).findFirst().orElseThrow().getKey();
    }

    /** Integers that are client ids, written as their connection's name. */
    String names(String reply) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(":(-?\\d+)").matcher(reply);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String name = idNames.get(m.group(1));
        m.appendReplacement(out, name == null ? m.group() : ":<" + name + ">");
      }
      return m.appendTail(out).toString();
    }

    @Override
    public void close() throws Exception {
      for (Conn c : conns.values()) {
        c.c.close();
      }
    }
  }

  private static final class Conn {
    final Run run;
    final String name;
    final RawClient c;
    /** Pushes read while waiting for a reply: reported at the next drain. */
    final List<String> pushes = new ArrayList<>();

    Conn(Run run, String name, RawClient c) {
      this.run = run;
      this.name = name;
      this.c = c;
    }

    /** Sends a command and records its reply, and any invalidation read before it. */
    String call(String... args) throws Exception {
      c.send(java.util.Arrays.stream(args).map(String::getBytes).toArray(byte[][]::new));
      String r = c.readReply();
      while (r.startsWith(">[\"invalidate\"") || r.startsWith(">[\"tracking-redir-broken\"")) {
        // Before the reply: Redis's order is part of what is compared.
        run.transcript.add(name + " got before the reply of " + args[0] + ": " + run.names(r));
        r = c.readReply();
      }
      List<String> shown = new ArrayList<>();
      for (String a : args) {
        shown.add(run.idNames.containsKey(a) ? "<" + run.idNames.get(a) + ">" : a);
      }
      run.transcript.add(name + ": " + String.join(" ", shown) + " -> " + (is(args[0], "CLIENT") ? run.names(r) : r));
      return r;
    }

    /** Records every invalidation this connection got so far (a PING answered ends them). */
    void drain() throws Exception {
      c.send("PING".getBytes());
      for (String r = c.readReply(); !r.equals("+PONG") && !r.equals("[\"pong\", \"\"]"); r = c.readReply()) {
        pushes.add(r);
      }
      run.transcript.add(name + " got " + run.names(pushes.toString()));
      pushes.clear();
    }

    /** Drains until something arrived, or {@code ms} passed (expiry in the background). */
    void awaitSome(long ms) throws Exception {
      long end = System.currentTimeMillis() + ms;
      List<String> got = new ArrayList<>();
      while (System.currentTimeMillis() < end) {
        c.send("PING".getBytes());
        for (String r = c.readReply(); !r.equals("+PONG") && !r.equals("[\"pong\", \"\"]"); r = c.readReply()) {
          got.add(r);
        }
        if (!got.isEmpty() || !pushes.isEmpty()) {
          break;
        }
        Thread.sleep(20);
      }
      pushes.addAll(got);
      run.transcript.add(name + " got " + pushes);
      pushes.clear();
    }

    /** The flags field of CLIENT INFO (t, R, B for tracking). */
    void flags() throws Exception {
      String info = c.call("CLIENT", "INFO");
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(" flags=(\\S+) ").matcher(info);
      run.transcript.add(name + ": CLIENT INFO flags -> " + (m.find() ? m.group(1) : info));
    }

    /** The tracking_* lines of an INFO section (the rest differs between the servers). */
    void trackingInfo(String section) throws Exception {
      c.send("INFO".getBytes(), section.getBytes());
      String all = c.readReply();
      List<String> lines = all.lines().filter(l -> l.startsWith("tracking")).toList();
      run.transcript.add(name + ": INFO " + section + " -> " + lines);
    }

    void subscribeToInvalidations() throws Exception {
      call("SUBSCRIBE", "__redis__:invalidate");
    }
  }

  private static boolean is(String a, String b) {
    return a.equalsIgnoreCase(b);
  }

  @FunctionalInterface
  private interface Script {
    void run(Run r) throws Exception;
  }

  private static List<String> transcript(int port, Script script) throws Exception {
    try (Run r = new Run(port)) {
      script.run(r);
      return r.transcript;
    }
  }

  /** The script's transcript on redis-server and on Keyshard, which must be equal. */
  private void same(Script script) throws Exception {
    List<String> expected = transcript(redis.port(), script);
    reset();
    List<String> actual = transcript(node.port(), script);
    assertTrue(expected.stream().anyMatch(l -> l.matches(".* got \\[[^\\]].*")), "redis sent nothing");
    assertEquals(String.join("\n", expected), String.join("\n", actual));
  }

  @Test
  void defaultModeInvalidatesWhatWasReadOnceForEveryKindOfWrite() throws Exception {
    same(
        r -> {
          Conn t = r.open("tracker", true);
          Conn w = r.open("writer", false);
          w.call("SET", "s", "1");
          w.call("HSET", "h", "f", "v");
          w.call("RPUSH", "l", "a", "b");
          w.call("ZADD", "z", "1", "m");
          w.call("SADD", "set", "m");
          t.call("CLIENT", "TRACKING", "on");
          t.call("GET", "s");
          t.call("HGET", "h", "f");
          t.call("LRANGE", "l", "0", "-1");
          t.call("ZSCORE", "z", "m");
          t.call("SISMEMBER", "set", "m");
          t.call("GET", "missing");
          t.call("MGET", "m1", "m2", "m3");
          t.call("GET", "unread-then-written");
          w.call("INCR", "s");
          t.drain();
          w.call("INCR", "s"); // not read again since: nothing
          t.drain();
          w.call("HDEL", "h", "f");
          w.call("LPOP", "l");
          w.call("ZINCRBY", "z", "2", "m");
          w.call("DEL", "set");
          w.call("SET", "missing", "now");
          w.call("MSET", "m1", "1", "m3", "3");
          w.call("APPEND", "never-read", "x");
          t.drain();
          t.call("CLIENT", "TRACKINGINFO");
          t.call("CLIENT", "GETREDIR");
          w.call("CLIENT", "GETREDIR");
          w.trackingInfo("clients");
          t.call("CLIENT", "TRACKING", "off");
          t.call("GET", "s");
          w.call("SET", "s", "after-off");
          t.drain();
        });
  }

  @Test
  void aConnectionsOwnChangesAreInvalidatedAfterItsReply() throws Exception {
    same(
        r -> {
          Conn t = r.open("tracker", true);
          Conn w = r.open("writer", false);
          t.call("CLIENT", "TRACKING", "on");
          t.call("HSET", "h", "f", "1");
          t.call("HGET", "h", "f");
          t.call("HDEL", "h", "f");
          t.drain();
          t.call("MSET", "a{t}", "1", "b{t}", "2");
          t.call("GET", "a{t}");
          t.call("MULTI");
          t.call("INCR", "a{t}");
          t.call("GET", "b{t}");
          t.call("EXEC");
          t.drain();
          t.call("EVAL", "return redis.call('get', KEYS[1])", "1", "s{t}");
          w.call("SET", "s{t}", "1");
          t.drain();
          t.call("EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "s{t}");
          w.call("SET", "s{t}", "2"); // the script read nothing: s{t} is not tracked
          t.drain();
          t.call("GET", "f");
          t.call("MULTI");
          t.call("FLUSHDB");
          t.call("EXEC");
          t.drain();
          // A blocked client served by another's push: its invalidation follows its reply.
          t.call("RPUSH", "src{t}", "a");
          t.call("LRANGE", "dst{t}", "0", "-1");
          t.c.send("BLMOVE".getBytes(), "src2{t}".getBytes(), "dst{t}".getBytes(), "LEFT".getBytes(),
              "RIGHT".getBytes(), "0".getBytes());
          Thread.sleep(200);
          w.call("RPUSH", "src2{t}", "x");
          r.transcript.add("tracker BLMOVE -> " + t.c.readReply());
          t.drain();
        });
  }

  @Test
  void resp2ClientsHearThroughARedirectToASubscriber() throws Exception {
    same(
        r -> {
          Conn sub = r.open("subscriber", false);
          sub.subscribeToInvalidations();
          Conn t = r.open("tracker", false);
          Conn alone = r.open("resp2-alone", false);
          Conn w = r.open("writer", false);
          t.call("CLIENT", "TRACKING", "on", "REDIRECT", r.id("subscriber"));
          alone.call("CLIENT", "TRACKING", "on");
          t.call("GET", "a");
          t.call("GET", "b");
          alone.call("GET", "a");
          w.call("SET", "a", "1");
          w.call("DEL", "b");
          sub.drain();
          alone.drain(); // RESP2 without a redirect: nothing can be sent
          t.call("CLIENT", "TRACKINGINFO");
          t.call("CLIENT", "GETREDIR");
          // A RESP3 redirect target gets pushes.
          Conn push = r.open("resp3-target", true);
          t.call("CLIENT", "TRACKING", "on", "REDIRECT", r.id("resp3-target"));
          t.call("GET", "c");
          w.call("SET", "c", "1");
          push.drain();
          sub.drain();
        });
  }

  @Test
  void bcastPrefixesNoloopAndTransactions() throws Exception {
    same(
        r -> {
          Conn sub = r.open("subscriber", false);
          sub.subscribeToInvalidations();
          Conn t = r.open("tracker", false);
          Conn w = r.open("writer", false);
          t.call("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", r.id("subscriber"), "PREFIX", "a:", "PREFIX", "b:");
          w.call("SET", "a:1", "x");
          w.call("SET", "c:1", "x");
          sub.drain();
          w.call("MULTI");
          w.call("INCR", "a:1{t}");
          w.call("INCR", "a:2{t}");
          w.call("INCR", "c:1{t}");
          w.call("EXEC");
          sub.drain();
          t.call("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", r.id("subscriber"), "PREFIX", "c:");
          t.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b");
          t.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "xy");
          t.call("CLIENT", "TRACKINGINFO");
          w.call("SET", "c:9", "x");
          sub.drain();
          w.trackingInfo("stats");
          // NOLOOP in BCAST: the tracker's own writes are left out.
          t.call("CLIENT", "TRACKING", "off");
          t.call("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", r.id("subscriber"), "NOLOOP");
          w.call("SET", "other1", "1");
          t.call("SET", "loop", "1");
          w.call("SET", "other2", "1");
          sub.drain();
          // NOLOOP in the default mode.
          t.call("CLIENT", "TRACKING", "off");
          t.call("CLIENT", "TRACKING", "on", "REDIRECT", r.id("subscriber"), "NOLOOP");
          t.call("GET", "other1");
          t.call("GET", "loop");
          t.call("SET", "loop", "2");
          w.call("SET", "other1", "2");
          sub.drain();
        });
  }

  @Test
  void optinAndOptoutFollowClientCaching() throws Exception {
    same(
        r -> {
          Conn t = r.open("tracker", true);
          Conn w = r.open("writer", false);
          t.call("CLIENT", "CACHING", "yes");
          t.call("CLIENT", "TRACKING", "on", "OPTIN");
          t.call("CLIENT", "CACHING", "no");
          t.call("CLIENT", "CACHING", "maybe");
          t.call("GET", "not-cached");
          t.call("CLIENT", "CACHING", "yes");
          t.call("CLIENT", "TRACKINGINFO");
          t.call("GET", "cached");
          t.call("GET", "not-cached-either");
          w.call("SET", "not-cached", "1");
          w.call("SET", "cached", "1");
          w.call("SET", "not-cached-either", "1");
          t.drain();
          t.call("CLIENT", "TRACKING", "on", "OPTOUT");
          t.call("CLIENT", "TRACKING", "off");
          t.call("CLIENT", "TRACKING", "on", "OPTOUT");
          t.call("GET", "k1");
          t.call("CLIENT", "CACHING", "no");
          t.call("CLIENT", "TRACKINGINFO");
          t.call("GET", "k2");
          t.call("GET", "k3");
          w.call("MSET", "k1", "1", "k2", "2", "k3", "3");
          t.drain();
        });
  }

  @Test
  void errorsOfClientTrackingAreRedis() throws Exception {
    same(
        r -> {
          Conn t = r.open("tracker", true);
          Conn w = r.open("writer", false);
          t.call("CLIENT", "TRACKINGINFO");
          t.call("CLIENT", "GETREDIR");
          t.call("CLIENT", "TRACKING", "maybe");
          t.call("CLIENT", "TRACKING", "on", "BOGUS");
          t.call("CLIENT", "TRACKING", "on", "REDIRECT");
          t.call("CLIENT", "TRACKING", "on", "REDIRECT", "notanumber");
          t.call("CLIENT", "TRACKING", "on", "REDIRECT", "987654");
          t.call("CLIENT", "TRACKING", "on", "REDIRECT", r.id("writer"), "REDIRECT", r.id("writer"));
          t.call("CLIENT", "TRACKING", "on", "PREFIX", "a");
          t.call("CLIENT", "TRACKING", "on", "BCAST", "OPTIN");
          t.call("CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT");
          t.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a");
          t.call("CLIENT", "TRACKING", "on", "OPTIN");
          t.call("CLIENT", "TRACKING", "on", "BCAST");
          t.call("CLIENT", "TRACKING", "on", "OPTOUT");
          t.call("CLIENT", "CACHING", "no");
          t.call("CLIENT", "TRACKING");
          t.call("CLIENT", "CACHING");
          t.call("CLIENT", "GETREDIR", "extra");
          t.call("CLIENT", "TRACKINGINFO", "extra");
          // A redirect to a connection that goes away: tracking-redir-broken.
          Conn gone = r.open("gone", false);
          t.call("CLIENT", "TRACKING", "off");
          t.call("CLIENT", "TRACKING", "on", "REDIRECT", r.id("gone"));
          t.call("GET", "k");
          gone.c.close();
          r.conns.remove("gone");
          Thread.sleep(200);
          w.call("SET", "k", "1");
          t.drain();
          t.call("CLIENT", "TRACKINGINFO");
          t.flags();
          t.call("CLIENT", "TRACKING", "off");
          t.call("CLIENT", "TRACKINGINFO");
          t.flags();
          t.call("CLIENT", "TRACKING", "on", "BCAST");
          t.flags();
        });
  }

  @Test
  void expiryFlushesAndTheTableLimitInvalidate() throws Exception {
    same(
        r -> {
          Conn t = r.open("tracker", true);
          Conn w = r.open("writer", false);
          t.call("CLIENT", "TRACKING", "on");
          // Active expiry.
          w.call("SET", "soon", "1", "PX", "100");
          t.call("GET", "soon");
          t.awaitSome(3000);
          // An expired key found by a read of another connection.
          w.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
          w.call("SET", "lazy", "1", "PX", "50");
          t.call("GET", "lazy");
          Thread.sleep(150);
          w.call("GET", "lazy");
          t.drain();
          w.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
          // FLUSHDB and FLUSHALL: a null invalidation to every tracking client.
          t.call("GET", "x");
          w.call("FLUSHDB");
          t.drain();
          w.call("FLUSHALL");
          t.drain();
          w.trackingInfo("stats");
          // Over tracking-table-max-keys: keys are invalidated until the table fits.
          t.call("GET", "k1");
          t.call("GET", "k2");
          t.call("GET", "k3");
          w.call("CONFIG", "SET", "tracking-table-max-keys", "1");
          w.call("CONFIG", "GET", "tracking-table-max-keys");
          // Which keys go is Redis's random choice (in its cron): only how many is compared.
          Thread.sleep(500);
          t.c.send("PING".getBytes());
          int n = 0;
          for (String x = t.c.readReply(); !x.equals("+PONG"); x = t.c.readReply()) {
            n++;
          }
          r.transcript.add("tracker got " + n + " invalidations over the limit");
          w.trackingInfo("stats");
        });
  }
}
