package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.DifferentialTestBase;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connection and server commands whose replies are deterministic, against a real redis-server:
 * PING, ECHO, SELECT, DBSIZE, FLUSHDB, FLUSHALL, AUTH, QUIT, RESET, the generic unknown-command
 * and wrong-arity errors, COMMAND INFO, and RESP3 after HELLO 3. COMMAND COUNT is Keyshard's own
 * (it implements fewer commands) and is not compared.
 */
@Timeout(60)
class ConnectionDifferentialTest extends DifferentialTestBase {

  /** The connection id in a HELLO reply differs by server; everything else must not. */
  static final UnaryOperator<String> HELLO =
      r -> r.replaceAll("(\"id\"(=|, )):\\d+", "$1:N");

  @Test
  void pingEcho() throws Exception {
    assertEquals("+PONG", d.check("PING"));
    d.check("ping");
    d.check("PING", "hello");
    d.check("PING", "");
    d.check("PING", "a", "b");
    d.check("ECHO", "hello world");
    d.check("ECHO", "");
    d.check("ECHO");
    d.check("ECHO", "a", "b");
    d.check("echo", "line\r\nbreak");
  }

  @Test
  void selectAndDatabases() throws Exception {
    for (String db : new String[] {"0", "15", "16", "-1", "abc", "1.5", "", " 1", "01",
        "99999999999", "-99999999999", "2147483648"}) {
      d.check("SELECT", db);
    }
    d.check("SELECT");
    d.check("SELECT", "1", "2");
    d.check("SELECT", "1");
    d.check("SET", "k", "one");
    d.check("SET", "only1", "x");
    d.check("SELECT", "2");
    d.check("GET", "k");
    d.check("SET", "k", "two");
    d.check("DBSIZE");
    d.check("SELECT", "1");
    d.check("GET", "k");
    assertEquals(":2", d.check("DBSIZE"));
    d.check("FLUSHDB");
    d.check("DBSIZE");
    d.check("SELECT", "2");
    d.check("DBSIZE");
    d.check("GET", "k");
    d.check("SELECT", "0");
    d.check("DBSIZE");
    d.check("MSET", "a", "1", "b", "2", "{t}c", "3");
    d.check("DBSIZE");
    d.check("FLUSHALL");
    d.check("DBSIZE");
    d.check("SELECT", "2");
    d.check("DBSIZE");
    d.check("SET", "x", "1");
    d.check("FLUSHDB", "ASYNC");
    d.check("DBSIZE");
    d.check("SET", "x", "1");
    d.check("FLUSHDB", "sync");
    d.check("DBSIZE");
    d.check("FLUSHDB", "FOO");
    d.check("FLUSHDB", "ASYNC", "SYNC");
    d.check("SET", "x", "1");
    d.check("FLUSHALL", "ASYNC");
    d.check("DBSIZE");
    d.check("FLUSHALL", "SYNC");
    d.check("FLUSHALL", "FOO");
    d.check("FLUSHALL", "SYNC", "ASYNC");
    d.check("DBSIZE", "x");
    d.check("FLUSHDB");
    d.check("FLUSHALL");
  }

  @Test
  void unknownCommandsAndArity() throws Exception {
    d.check("FOO");
    d.check("FOO", "a", "b");
    d.check("foo", "");
    d.check("FOO", "x".repeat(200));
    d.check("FOO", "a".repeat(60), "b".repeat(60), "c".repeat(60), "d");
    d.check("FOO\r\nBAR", "a\r\nb");
    d.check("");
    d.check("GET");
    d.check("OBJECT");
    d.check("COMMAND", "FOO");
    d.check("COMMAND", "INFO", "FOO");
    d.check("COMMAND", "COUNT", "x");
    d.check("OBJECT", "FOO", "x");
    d.check("EXPIRE", "k");
    d.check("MGET");
    d.check("HELLO", "3", "FOO");
  }

  @Test
  void authWithoutPassword() throws Exception {
    d.check("AUTH", "x");
    d.check("AUTH", "default", "anything");
    d.check("AUTH", "foo", "bar");
    d.check("AUTH", "a", "b", "c");
    d.check("AUTH");
    d.check("PING");
  }

  @Test
  void commandInfo() throws Exception {
    String[] names = {"GET", "SET", "MGET", "MSET", "MSETNX", "DEL", "EXISTS", "EXPIRE",
        "GETEX", "COPY", "LCS", "PING", "ECHO", "SELECT", "DBSIZE", "SCAN", "KEYS",
        "INCRBYFLOAT", "RENAME", "FLUSHALL", "object|encoding", "object|help"};
    for (String name : names) {
      d.check("COMMAND", "INFO", name);
    }
    d.check("COMMAND", "INFO", "get", "set");
    d.check("COMMAND", "INFO", "nosuchcommand");
    // Redis lists a container's subcommands in no set order (nondeterministic_output_order).
    d.check(r -> r.replaceAll("\\[\\[\"object\\|.*", "(subcommands)"), "COMMAND", "INFO", "OBJECT");
    d.check("COMMAND", "GETKEYS", "SET", "a", "b");
    d.check("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2");
    d.check("COMMAND", "GETKEYS", "LCS", "a", "b", "IDX");
    d.check("COMMAND", "GETKEYS", "GET");
    d.check("COMMAND", "GETKEYS", "PING", "x");
    d.check("COMMAND", "GETKEYS", "NOSUCH", "x");
    d.check("COMMAND", "GETKEYS", "DUMP", "k");
    d.check("COMMAND", "GETKEYS", "RESTORE", "k", "0", "p", "REPLACE");
    d.check("COMMAND", "GETKEYS", "RESTORE-ASKING", "k", "0", "p");
    d.check("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "5", "COPY");
    d.check("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "KEYS", "a", "b");
    d.check("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "AUTH", "KEYS", "keys", "a");
    d.check("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "AUTH2", "u", "keys", "KEYS", "a");
    d.check("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "KEYS");
    d.check("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a");
    String count = d.keyshard().call("COMMAND", "COUNT");
    assertTrue(count.matches(":[1-9][0-9]*"), "COMMAND COUNT answered " + count);
  }

  @Test
  void quitAndReset() throws Exception {
    d.check("SELECT", "3");
    d.check("SET", "k", "v");
    d.check(HELLO, "HELLO", "3");
    assertEquals("+RESET", d.check("RESET"));
    d.check("GET", "k");
    d.check("GET", "missing");
    d.check("DBSIZE");
    assertEquals("+OK", d.check("QUIT"));
    assertTrue(d.keyshard().isClosedByServer(), "keyshard kept the connection after QUIT");
    assertTrue(d.redis().isClosedByServer(), "redis kept the connection after QUIT");
  }

  @Test
  void resp3() throws Exception {
    d.check(HELLO, "HELLO", "3");
    d.check(HELLO, "HELLO");
    d.check("GET", "missing");
    d.check("SET", "k", "v");
    d.check("GET", "k");
    d.check("SET", "k", "w", "NX");
    d.check("SET", "k", "w", "NX", "GET");
    d.check("MGET", "k", "missing");
    d.check("INCRBYFLOAT", "f", "1.5");
    d.check("INCR", "n");
    d.check("INCR", "k");
    d.check("EXPIRE", "k", "100");
    d.check("PERSIST", "k");
    d.check("TTL", "k");
    d.check("EXISTS", "k", "missing");
    d.check("TYPE", "k");
    d.check("MSET", "{t}a", "ohmytext", "{t}b", "mynewtext");
    d.check("LCS", "{t}a", "{t}b", "IDX", "WITHMATCHLEN");
    d.check("LCS", "{t}a", "{t}b", "LEN");
    d.check("OBJECT", "ENCODING", "k");
    d.check("OBJECT", "ENCODING", "missing");
    d.check("OBJECT", "HELP");
    d.check(Differential::sorted, "KEYS", "{t}*");
    d.check("SELECT", "7");
    d.check("RANDOMKEY");
    d.check("KEYS", "*");
    d.check("SCAN", "0");
    d.check("SET", "only", "v");
    d.check("SCAN", "0");
    d.check("RANDOMKEY");
    d.check("SELECT", "0");
    d.check("DBSIZE");
    d.check("PING");
    d.check("PING", "x");
    d.check("ECHO", "x");
    d.check("GET");
    d.check("COMMAND", "INFO", "GET", "nosuch");
    d.check("COMMAND", "INFO", "MSET");
    d.check(HELLO, "HELLO", "3", "SETNAME", "myname");
    d.check(HELLO, "HELLO", "3", "AUTH", "default", "x");
    d.check("HELLO", "3", "AUTH", "foo", "bar");
    d.check("HELLO", "4");
    d.check("HELLO", "1");
    d.check("HELLO", "abc");
    d.check("HELLO", "3", "SETNAME");
    d.check("HELLO", "3", "AUTH", "default");
    d.check(HELLO, "HELLO", "2");
    d.check("GET", "missing");
    d.check("MGET", "k", "missing");
    d.check("LCS", "{t}a", "{t}b", "IDX");
  }

  /** With a password: NOAUTH comes after the unknown-command and arity checks, AUTH lifts it. */
  @Test
  void requirepass() throws Exception {
    try (RedisProcess r = RedisProcess.start("--requirepass", "secret");
        TestNode n =
            TestNode.start(
                Files.createTempDirectory("keyshard-auth"),
                Map.of("keyshard.requirepass", "secret"))) {
      try (Differential a = new Differential(n.port(), r.port())) {
        a.check("PING");
        a.check("GET", "k");
        a.check("ECHO", "x");
        a.check("FOO");
        a.check("GET");
        a.check("SELECT", "1");
        a.check("HELLO", "3");
        a.check("HELLO");
        a.check("AUTH", "wrong");
        a.check("AUTH", "default", "wrong");
        a.check("AUTH", "nobody", "secret");
        a.check("GET", "k");
        a.check("AUTH", "secret");
        a.check("GET", "k");
        a.check("SET", "k", "v");
        a.check("AUTH", "wrong");
        a.check("GET", "k");
        a.check("AUTH", "default", "secret");
        a.check("RESET");
        a.check("GET", "k");
        a.check(HELLO, "HELLO", "3", "AUTH", "default", "secret");
        a.check("GET", "k");
        a.assertNoMismatches();
      }
      try (Differential a = new Differential(n.port(), r.port())) {
        a.check(HELLO, "HELLO", "2", "AUTH", "default", "secret", "SETNAME", "me");
        a.check("DBSIZE");
        a.assertNoMismatches();
      }
      try (Differential a = new Differential(n.port(), r.port())) {
        a.check("QUIT");
        a.assertNoMismatches();
      }
      // Before AUTH, Redis refuses big requests outright and closes the connection.
      for (String raw : new String[] {"*11\r\n", "*1\r\n$16385\r\n"}) {
        for (int port : new int[] {n.port(), r.port()}) {
          try (RawClient c = new RawClient(port)) {
            c.sendRaw(raw.getBytes(StandardCharsets.US_ASCII));
            String who = port == n.port() ? "keyshard" : "redis";
            String reply = c.readReply();
            assertEquals(
                raw.startsWith("*11")
                    ? "-ERR Protocol error: unauthenticated multibulk length"
                    : "-ERR Protocol error: unauthenticated bulk length",
                reply,
                who + " " + raw.trim());
            assertTrue(c.isClosedByServer(), who + " kept the connection open");
          }
        }
      }
    }
  }
}
