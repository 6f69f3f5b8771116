package io.keyshard.node.commands;

import io.keyshard.node.testing.DifferentialTestBase;
import org.junit.jupiter.api.Test;

/**
 * DEBUG with Redis 7.0's default enable-debug-command no: refused with Redis's text, after the
 * arity check and before NOAUTH and ACL, dooming a MULTI; the setting cannot be changed at run
 * time. Compared reply for reply with a redis-server started with its defaults.
 */
class DebugRefusedTest extends DifferentialTestBase {
  @Test
  void refusedAsRedisRefusesIt() throws Exception {
    d.check("DEBUG", "DIGEST");
    d.check("DEBUG", "DIGEST-VALUE", "k");
    d.check("DEBUG", "NO-SUCH");
    d.check("DEBUG");
    d.check("CONFIG", "GET", "enable-debug-command");
    d.check("CONFIG", "SET", "enable-debug-command", "yes");
    d.check("CONFIG", "GET", "dbfilename");
    d.check("CONFIG", "SET", "dbfilename", "x.rdb");
    d.check("COMMAND", "INFO", "debug");
    d.check("COMMAND", "DOCS", "debug");
  }

  @Test
  void refusalDoomsMulti() throws Exception {
    d.check("MULTI");
    d.check("SET", "k", "v");
    d.check("DEBUG", "DIGEST");
    d.check("EXEC");
    d.check("EXISTS", "k");
  }

  @Test
  void refusedBeforeAcl() throws Exception {
    d.check("ACL", "SETUSER", "limited", "on", "nopass", "+get", "~*");
    d.check("AUTH", "limited", "x");
    d.check("DEBUG", "DIGEST");
    d.check("AUTH", "default", "x");
    d.check("ACL", "DELUSER", "limited");
  }
}
