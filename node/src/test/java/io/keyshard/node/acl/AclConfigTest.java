package io.keyshard.node.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * ACL users from keyshard.acl.users (lines as ACL LIST prints them) next to requirepass, used by
 * real clients: Jedis AUTH user pass, Lettuce HELLO 3 AUTH user pass; and a bad line stops the
 * node from starting without its password showing in the error.
 */
class AclConfigTest {
  private static final String ADMIN_PW = "admin-secret-1";
  private static final String APP_PW = "app-secret-2";
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    node =
        TestNode.start(
            Files.createTempDirectory("keyshard-aclconf"),
            Map.of(
                "keyshard.requirepass", "default-secret",
                "keyshard.acl.users",
                List.of(
                    "user admin on >" + ADMIN_PW + " ~* &* +@all",
                    "user app on #" + sha256(APP_PW) + " ~app:* resetchannels -@all +@read"
                        + " +set -keys +acl|whoami")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  private static String sha256(String s) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void configuredUsersSignInAndAreListedHashed() throws Exception {
    try (RawClient c = new RawClient(node.port())) {
      assertEquals("-NOAUTH Authentication required.", c.call("acl", "list"));
      assertEquals("+OK", c.call("auth", "admin", ADMIN_PW));
      String list = c.call("acl", "list");
      assertTrue(list.contains("\"user admin on #" + sha256(ADMIN_PW) + " ~* &* +@all\""), list);
      assertTrue(list.contains("\"user app on #" + sha256(APP_PW) + " ~app:* resetchannels"), list);
      assertTrue(list.contains("\"user default on #" + sha256("default-secret") + " ~* &* +@all\""),
          list);
      assertFalse(list.contains(ADMIN_PW) || list.contains("default-secret"), list);
      assertEquals("[\"admin\", \"app\", \"default\"]", c.call("acl", "users"));
    }
  }

  @Test
  void jedisAndLettuceAuthenticateAsAUser() throws Exception {
    try (Jedis jedis = new Jedis("127.0.0.1", node.port())) {
      assertThrows(JedisAccessControlException.class, () -> jedis.auth("app", "wrong"));
      assertEquals("OK", jedis.auth("app", APP_PW));
      assertEquals("OK", jedis.set("app:1", "v"));
      assertEquals("v", jedis.get("app:1"));
      JedisDataException e = assertThrows(JedisDataException.class, () -> jedis.get("other"));
      assertEquals(
          "NOPERM this user has no permissions to access one of the keys used as arguments",
          e.getMessage());
      e = assertThrows(JedisDataException.class, () -> jedis.del("app:1"));
      assertEquals("NOPERM this user has no permissions to run the 'del' command", e.getMessage());
      e = assertThrows(JedisDataException.class, () -> jedis.keys("*"));
      assertEquals("NOPERM this user has no permissions to run the 'keys' command", e.getMessage());
      assertEquals("app", jedis.aclWhoAmI());
    }
    RedisClient lettuce =
        RedisClient.create(
            RedisURI.builder()
                .withHost("127.0.0.1")
                .withPort(node.port())
                .withAuthentication("app", APP_PW.toCharArray())
                .build());
    try (StatefulRedisConnection<String, String> conn = lettuce.connect()) {
      assertEquals("app", conn.sync().aclWhoami());
      assertEquals("v", conn.sync().get("app:1"));
      RedisCommandExecutionException e =
          assertThrows(RedisCommandExecutionException.class, () -> conn.sync().set("x", "1"));
      assertTrue(e.getMessage().startsWith("NOPERM"), e.getMessage());
    } finally {
      lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  @Test
  void redisCliSignsInAsAUser() throws Exception {
    List<String> cmd =
        List.of(
            "redis-cli", "-p", Integer.toString(node.port()), "--user", "app", "--pass", APP_PW,
            "--no-auth-warning");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream()
        .write("SET app:cli 1\nGET app:cli\nGET other\nACL WHOAMI\n".getBytes());
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(
        "OK\n1\nNOPERM this user has no permissions to access one of the keys used as"
            + " arguments\n\napp",
        out.replace("(error) ", ""));
  }

  @Test
  void aBadConfiguredUserStopsTheStartWithoutShowingItsPassword() throws Exception {
    Exception e =
        assertThrows(
            Exception.class,
            () ->
                TestNode.start(
                    Files.createTempDirectory("keyshard-aclbad"),
                    Map.of("keyshard.acl.users", List.of("user bad on >hidden-pw +nosuch"))));
    String text = String.valueOf(e.getMessage()) + " " + e.getCause();
    assertTrue(text.contains("Unknown command or category name in ACL"), text);
    assertFalse(text.contains("hidden-pw"), text);
  }
}
