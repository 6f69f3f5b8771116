package io.keyshard.node.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A node started with keyshard.requirepass against redis-server --requirepass: NOAUTH for
 * everything but HELLO, AUTH, QUIT and RESET until the client authenticates; AUTH and HELLO AUTH
 * in all their forms; CONFIG SET requirepass taking effect for the next AUTH; and the password
 * never showing in CLIENT LIST, CLIENT INFO or INFO.
 */
class AuthTest {
  private static final String PASSWORD = "s3cret-pass";

  private static RedisProcess redis;
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisProcess.start("--requirepass", PASSWORD);
    node =
        TestNode.start(
            Files.createTempDirectory("keyshard-auth"), Map.of("keyshard.requirepass", PASSWORD));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private static Differential diff() throws IOException {
    return new Differential(node.port(), redis.port());
  }

  private static UnaryOperator<String> helloId() {
    return r -> r.replaceAll("\"id\"(, |=):\\d+", "\"id\"$1:ID");
  }

  @Test
  void everyCommandButTheHandshakeNeedsAuth() throws Exception {
    try (Differential d = diff()) {
      for (String[] args :
          List.of(
              new String[] {"ping"},
              new String[] {"get", "a"},
              new String[] {"set", "a", "1"},
              new String[] {"client", "id"},
              new String[] {"client", "list"},
              new String[] {"config", "get", "requirepass"},
              new String[] {"config", "set", "requirepass", ""},
              new String[] {"info"},
              new String[] {"select", "1"},
              new String[] {"echo", "x"})) {
        d.check(args);
      }
      d.check(helloId(), "hello");
      d.check(helloId(), "hello", "3");
      d.check(helloId(), "hello", "2", "foo");
      d.check(helloId(), "hello", "9");
      d.check("reset");
      d.check("ping");
      d.check("quit");
      assertTrue(d.keyshard().isClosedByServer());
      assertTrue(d.redis().isClosedByServer());
      d.assertNoMismatches();
    }
  }

  @Test
  void authForms() throws Exception {
    try (Differential d = diff()) {
      d.check("auth");
      d.check("auth", "wrong");
      d.check("auth", "default", "wrong");
      d.check("auth", "foo", PASSWORD);
      d.check("auth", "a", "b", "c");
      d.check("ping");
      d.check("auth", PASSWORD);
      d.check("ping");
      // RESET signs the connection out again.
      d.check("reset");
      d.check("ping");
      d.check("auth", "default", PASSWORD);
      d.check("ping");
      // A failed AUTH does not sign an authenticated connection out.
      d.check("auth", "wrong");
      d.check("ping");
      d.check("client", "kill", "user", "foo");
      d.assertNoMismatches();
    }
  }

  @Test
  void helloAuth() throws Exception {
    try (Differential d = diff()) {
      d.check(helloId(), "hello", "3", "auth", "default", "wrong");
      d.check(helloId(), "hello", "3", "auth", "foo", PASSWORD);
      d.check(helloId(), "hello", "3", "setname", "a b");
      // SETNAME before a failing AUTH is applied all the same, as in Redis 7.0.
      d.check(helloId(), "hello", "3", "setname", "early", "auth", "default", "wrong");
      d.check(helloId(), "hello", "3", "setname", "ok");
      d.check("ping");
      d.check(helloId(), "hello", "3", "auth", "default", PASSWORD, "setname", "ok2");
      d.check("client", "getname");
      d.check("ping");
      d.assertNoMismatches();
    }
    try (Differential d = diff()) {
      // AUTH before a bad option stays applied, the protocol does not switch.
      d.check(helloId(), "hello", "3", "auth", "default", PASSWORD, "foo");
      d.check("ping");
      d.check(helloId(), "hello", "2", "auth", "default", PASSWORD, "setname", "a b");
      d.check("client", "getname");
      d.assertNoMismatches();
    }
    try (Differential d = diff()) {
      d.check(helloId(), "hello", "3", "setname", "a b", "auth", "default", PASSWORD);
      d.check("ping");
      d.assertNoMismatches();
    }
  }

  @Test
  void configSetRequirepassAppliesToTheNextAuth() throws Exception {
    try (Differential admin = diff()) {
      admin.check("auth", PASSWORD);
      admin.check("config", "get", "requirepass");
      admin.check("config", "set", "requirepass", "newpass");
      // Connections already signed in stay signed in.
      admin.check("ping");
      try (Differential d = diff()) {
        d.check("ping");
        d.check("auth", PASSWORD);
        d.check("auth", "newpass");
        d.check("ping");
        d.assertNoMismatches();
      }
      admin.check("config", "set", "requirepass", "");
      try (Differential d = diff()) {
        d.check("ping");
        d.check("auth", "x");
        d.check("auth", "default", "anything");
        d.check(helloId(), "hello", "3", "auth", "default", "anything");
        d.assertNoMismatches();
      }
      admin.check("config", "set", "requirepass", PASSWORD);
      try (Differential d = diff()) {
        d.check("ping");
        d.check("auth", PASSWORD);
        d.assertNoMismatches();
      }
      admin.assertNoMismatches();
    }
  }

  @Test
  void thePasswordNeverShowsInClientListOrInfo() throws Exception {
    try (RawClient c = new RawClient(node.port());
        RawClient other = new RawClient(node.port())) {
      assertEquals("+OK", c.call("auth", PASSWORD));
      other.call("hello", "3", "auth", "default", PASSWORD, "setname", "other");
      assertEquals("+OK", c.call("config", "set", "requirepass", PASSWORD));
      for (String[] args :
          List.of(
              new String[] {"client", "list"},
              new String[] {"client", "info"},
              new String[] {"info", "everything"},
              new String[] {"info"})) {
        String reply = c.call(args);
        assertFalse(reply.startsWith("-"), reply);
        assertFalse(reply.contains(PASSWORD), String.join(" ", args) + " shows the password");
      }
      assertTrue(c.call("client", "list").contains("name=other age="));
    }
  }

  @Test
  void clientsAuthenticateOnConnect() throws Exception {
    try (Jedis jedis = new Jedis("127.0.0.1", node.port())) {
      assertThrows(JedisDataException.class, jedis::ping);
      assertEquals("OK", jedis.auth(PASSWORD));
      assertEquals("PONG", jedis.ping());
    }
    // Lettuce 6 connects with HELLO 3 AUTH default <password>, then CLIENT SETINFO.
    ClientResources resources = DefaultClientResources.create();
    RedisClient lettuce =
        RedisClient.create(
            resources,
            RedisURI.builder()
                .withHost("127.0.0.1")
                .withPort(node.port())
                .withPassword(PASSWORD.toCharArray())
                .build());
    try (StatefulRedisConnection<String, String> conn = lettuce.connect()) {
      assertEquals("PONG", conn.sync().ping());
      assertTrue(conn.sync().info("server").contains("redis_version:7.0.15"));
      assertTrue(conn.sync().clientInfo().contains("resp=3"));
    } finally {
      lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    RedisClient wrong =
        RedisClient.create(
            resources,
            RedisURI.builder()
                .withHost("127.0.0.1")
                .withPort(node.port())
                .withPassword("wrong".toCharArray())
                .build());
    try {
      RedisConnectionException e = assertThrows(RedisConnectionException.class, wrong::connect);
      Throwable cause = e.getCause();
      assertTrue(cause instanceof RedisCommandExecutionException, String.valueOf(cause));
      assertTrue(cause.getMessage().startsWith("WRONGPASS"), cause.getMessage());
    } finally {
      wrong.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }
}
