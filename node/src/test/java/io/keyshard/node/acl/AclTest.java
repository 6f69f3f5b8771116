package io.keyshard.node.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.CommandTable;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ACL users against redis-server 7.0.15 with the same commands: ACL SETUSER rules and their
 * errors, ACL LIST/GETUSER/USERS/WHOAMI/CAT/DRYRUN/DELUSER, AUTH and HELLO AUTH as a user, and
 * the NOPERM checks before dispatch (commands, subcommands, categories, first arguments, key
 * patterns with read/write permissions, inside MULTI). Each test uses its own user names.
 */
class AclTest {
  private static RedisProcess redis;
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisProcess.start();
    node = TestNode.start(Files.createTempDirectory("keyshard-acl"), Map.of());
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

  private static final Pattern SINGLE = Pattern.compile("(?<=^| )[+-][^@ \"\\]\\[,][^ \"\\],]*");

  /**
   * Redis lists the single-command rules after the categories in the order of its command
   * dictionary, which is randomly seeded per process: compare them as a set, in place.
   */
  static String singlesSorted(String reply) {
    Matcher m = SINGLE.matcher(reply.replace("\"", " \" ").replace(",", " , "));
    List<String> found = new ArrayList<>();
    while (m.find()) {
      found.add(m.group());
    }
    List<String> sorted = new ArrayList<>(found);
    sorted.sort(null);
    StringBuilder out = new StringBuilder();
    m.reset();
    int i = 0;
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(sorted.get(i++)));
    }
    m.appendTail(out);
    return out.toString().replace(" , ", ",").replace(" \" ", "\"");
  }

  private static void list(Differential d, String user) throws IOException {
    d.check(r -> singlesSorted(lineOf(r, user)), "acl", "list");
    d.check(AclTest::singlesSorted, "acl", "getuser", user);
  }

  /** The ACL LIST line of one user (the other users differ between the two servers' tests). */
  private static String lineOf(String listReply, String user) {
    for (String line : listReply.substring(1, listReply.length() - 1).split(", ")) {
      if (line.startsWith("\"user " + user + " ")) {
        return line;
      }
    }
    return "(no line for " + user + ")";
  }

  @Test
  void setUserRulesAsAclListAndGetUserShowThem() throws Exception {
    String[][] cases = {
      {},
      {"on", ">p1", "~cached:*", "+get"},
      {"+get", "+set"},
      {"+set", "+get", "-get"},
      {"+@hash", "+set"},
      {"+hget", "+@hash"},
      {"+@hash", "-hget"},
      {"+@all", "-get"},
      {"allcommands", "-@hash", "+hget"},
      {"+@all", "+get"},
      {"-@all", "+get", "-@all", "+set"},
      {"+config"},
      {"+config|get"},
      {"+config|get", "+config"},
      {"+config|get", "-config"},
      {"+@string", "-@read"},
      {"+get", "+@read"},
      {"+@read", "-get", "+get"},
      {"+GET", "+@Hash"},
      {"+@admin", "+@dangerous"},
      {"+select|0", "+select|1"},
      {"+select|0", "+select"},
      {"nocommands"},
      {"~a", "resetkeys", "~c"},
      {"%RW~a", "%R~b", "%W~c", "~a"},
      {"%R~a", "%W~a"},
      {"%rw~x", "%r~y"},
      {"allkeys", "resetkeys", "%R~*"},
      {"%R~*", "~*"},
      {"&a", "allchannels"},
      {"&a", "resetchannels", "&b", "&b"},
      {"reset"},
      {"on", ">a", ">b", "<a"},
      {">a", "nopass"},
      {"nopass", ">a"},
      {">a", "resetpass"},
      {"#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"},
      {"off", "on", "ON", "skip-sanitize-payload"},
      {"+@all", "-@all"},
      {"clearselectors", "sanitize-payload"},
    };
    try (Differential d = diff()) {
      int n = 0;
      for (String[] rules : cases) {
        String user = "list" + n++;
        String[] args = new String[3 + rules.length];
        args[0] = "acl";
        args[1] = "setuser";
        args[2] = user;
        System.arraycopy(rules, 0, args, 3, rules.length);
        assertEquals("+OK", d.check(args), Arrays.toString(rules));
        list(d, user);
      }
      // Rules add up over several SETUSER calls of the same user.
      d.check("acl", "setuser", "acc", "on", "+get", "~a*");
      d.check("acl", "setuser", "acc", "+set", "~b*", ">pw");
      list(d, "acc");
      d.check("acl", "getuser", "nosuch");
      d.check(AclTest::singlesSorted, "acl", "getuser", "default");
      d.assertNoMismatches();
    }
  }

  @Test
  void setUserErrorsAreRedisTextsAndChangeNothing() throws Exception {
    try (Differential d = diff()) {
      d.check("acl", "setuser", "errs", "on", "+get", "~k*");
      for (String rule :
          List.of(
              "foo",
              "+nosuch",
              "+@nosuch",
              "-get|foo",
              "+config|nosuch",
              "#abc",
              "#5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8",
              "!abc",
              "!5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
              "<nosuch",
              "%X~x",
              "%~x",
              "%RWX~x",
              "%R",
              "")) {
        // The valid rules before the bad one are not applied either.
        d.check("acl", "setuser", "errs", "+set", "off", rule);
      }
      d.check("acl", "setuser", "errs2", "allkeys", "~c");
      d.check("acl", "setuser", "errs2", "allchannels", "&x");
      d.check("acl", "setuser", "errs2", "~*", "%R~a");
      list(d, "errs");
      d.check("acl", "users");
      d.check("acl", "setuser", "a b");
      d.check("acl", "setuser");
      d.check("acl", "deluser", "default");
      d.check("acl", "deluser", "errs", "default");
      d.check("acl", "deluser", "nosuch", "errs");
      d.check("acl", "deluser", "errs");
      d.check("acl", "nosuch");
      d.check("acl", "whoami", "x");
      d.check("acl", "getuser");
      d.check("acl", "cat", "nosuch");
      d.check("acl", "cat", "a", "b");
      d.check("acl", "genpass", "0");
      d.check("acl", "genpass", "4097");
      d.check("acl", "genpass", "x");
      d.check("acl", "genpass", "1", "2");
      d.assertNoMismatches();
    }
  }

  @Test
  void authAndHelloAsAUser() throws Exception {
    try (Differential admin = diff();
        Differential d = diff()) {
      admin.check("acl", "setuser", "alice", "on", ">alice-pw", "+@all", "~*");
      admin.check("acl", "setuser", "carol", "off", ">carol-pw", "+@all", "~*");
      admin.check("acl", "setuser", "dave", "on", "nopass", "+acl", "~*");
      d.check("acl", "whoami");
      d.check("auth", "alice", "wrong");
      d.check("auth", "nosuch", "alice-pw");
      d.check("auth", "carol", "carol-pw");
      d.check("acl", "whoami");
      d.check("auth", "alice", "alice-pw");
      d.check("acl", "whoami");
      d.check("auth", "dave", "anything");
      d.check("acl", "whoami");
      d.check(r -> r.replaceAll("\"id\"(, |=):\\d+", "\"id\"$1:ID"),
          "hello", "3", "auth", "alice", "alice-pw");
      d.check("acl", "whoami");
      d.check(r -> r.replaceAll("\"id\"(, |=):\\d+", "\"id\"$1:ID"),
          "hello", "2", "auth", "carol", "carol-pw");
      d.check("reset");
      d.check("acl", "whoami");
      // A user turned off keeps its open connections but cannot sign in again.
      d.check("auth", "alice", "alice-pw");
      admin.check("acl", "setuser", "alice", "off");
      d.check("acl", "whoami");
      d.check("auth", "alice", "alice-pw");
      admin.check("acl", "setuser", "alice", "on", "<alice-pw", ">second");
      d.check("auth", "alice", "alice-pw");
      d.check("auth", "alice", "second");
      admin.check("acl", "users");
      admin.assertNoMismatches();
      d.assertNoMismatches();
    }
  }

  @Test
  void noPermChecksCommandsSubcommandsAndKeys() throws Exception {
    try (Differential admin = diff();
        Differential d = diff()) {
      admin.both("set", "k1", "v");
      admin.both("set", "r1", "v");
      admin.both("set", "w1", "v");
      admin.check(
          "acl", "setuser", "u", "reset", "on", ">pw", "~k*", "%R~r*", "%W~w*", "+get", "+set",
          "+config|get", "+@hash", "+mget", "+mset", "+multi", "+exec", "+copy", "+type",
          "+object", "+lmove", "+exists", "+strlen", "+del", "-hdel", "+select|0", "+client");
      d.check("auth", "u", "pw");
      String[][] commands = {
        {"get", "k1"}, {"get", "x"}, {"set", "x", "1"}, {"get", "r1"}, {"set", "r1", "1"},
        {"set", "w1", "1"}, {"get", "w1"}, {"mget", "k1", "x"}, {"mget", "k1", "r1"},
        {"mset", "k1", "1", "k2", "2"}, {"mset", "k1", "1", "r2", "2"}, {"copy", "r1", "w1"},
        {"copy", "w1", "r1"}, {"type", "w1"}, {"type", "r1"}, {"type", "x"}, {"exists", "w1"},
        {"strlen", "w1"}, {"del", "r1"}, {"del", "w1"}, {"object", "encoding", "x"},
        {"object", "encoding", "k1"}, {"object", "help"}, {"hdel", "k1", "f"},
        {"hset", "kh", "f", "v"}, {"hget", "x", "f"}, {"incr", "k1"},
        {"config", "get", "maxclients"}, {"config", "set", "port", "1"}, {"config", "resetstat"},
        {"lmove", "k1", "x", "left", "right"}, {"select", "0"}, {"select", "1"},
        {"client", "setname", "n"}, {"client", "getname"}, {"nosuch"}, {"get"}, {"ping"},
        {"acl", "whoami"}, {"flushall"}, {"keys", "*"}, {"dbsize"},
      };
      for (String[] c : commands) {
        d.check(c);
      }
      // In MULTI a denied command is refused when queued, and EXEC discards the transaction.
      d.check("multi");
      d.check("get", "x");
      d.check("del", "k1");
      d.check("get", "k1");
      d.check("exec");
      d.check("multi");
      d.check("get", "k1");
      d.check("set", "k9", "1");
      d.check("exec");
      // What the connection may run changes with its user at once.
      admin.check("acl", "setuser", "u", "+incr", "allkeys");
      d.check("incr", "k1");
      d.check("incr", "x");
      d.check("quit");
      admin.assertNoMismatches();
      d.assertNoMismatches();
    }
  }

  @Test
  void execChecksQueuedCommandsAgainstTheRulesOfThatMoment() throws Exception {
    try (Differential admin = diff();
        Differential d = diff()) {
      admin.check("acl", "setuser", "ex", "on", ">pw", "~*", "+@all");
      d.check("auth", "ex", "pw");
      d.check("multi");
      d.check("get", "a");
      d.check("set", "a", "1");
      d.check("client", "id");
      d.check("get", "b");
      admin.check("acl", "setuser", "ex", "-get", "-@connection", "resetkeys", "~a*");
      // GET a: command gone; SET a: still fine; CLIENT ID: category gone; GET b: both gone.
      d.check("exec");
      d.check("get", "a");
      admin.assertNoMismatches();
      d.assertNoMismatches();
    }
  }

  @Test
  void dryRunCatUsersAndGenpass() throws Exception {
    try (Differential d = diff()) {
      d.check("acl", "setuser", "dry", "on", "~k*", "%R~r*", "+get", "+set", "+@hash", "-hdel");
      for (String[] args :
          new String[][] {
            {"acl", "dryrun", "dry", "get", "k"},
            {"acl", "dryrun", "dry", "get", "x"},
            {"acl", "dryrun", "dry", "set", "r1", "v"},
            {"acl", "dryrun", "dry", "del", "k"},
            {"acl", "dryrun", "dry", "hdel", "k", "f"},
            {"acl", "dryrun", "dry", "hset", "k", "f", "v"},
            {"acl", "dryrun", "dry", "nosuch"},
            {"acl", "dryrun", "nosuch", "get", "k"},
            {"acl", "dryrun", "dry", "get"},
            {"acl", "dryrun", "default", "flushall"},
          }) {
        d.check(args);
      }
      d.check("acl", "cat");
      // Redis lists the commands of a category in its dictionary's order, and more of them.
      CommandTable table = CommandTable.standard();
      for (String category : List.of("hash", "admin", "dangerous", "keyspace", "CONNECTION")) {
        String theirs = d.redis().call("acl", "cat", category);
        String ours = d.keyshard().call("acl", "cat", category);
        TreeSet<String> expected = new TreeSet<>();
        for (String name : theirs.substring(1, theirs.length() - 1).split(", ")) {
          String bare = name.substring(1, name.length() - 1);
          if (table.lookupFullName(bare) != null) {
            expected.add(bare);
          }
        }
        TreeSet<String> actual = new TreeSet<>();
        for (String name : ours.substring(1, ours.length() - 1).split(", ")) {
          actual.add(name.substring(1, name.length() - 1));
        }
        actual.remove("client|setinfo"); // Redis 7.2's, declared by Keyshard for clients
        // Valkey 9's atomic slot migration and Keyshard's own KEYSHARD digests, which Redis 7.0
        // does not have: admin commands.
        for (String valkey :
            List.of("cluster|migrateslots", "cluster|getslotmigrations", "cluster|cancelslotmigrations",
                "keyshard|digests", "keyshard|keydigests", "keyshard|hold", "keyshard|release", "keyshard|changed")) {
          assertTrue(!category.equals("admin") || actual.contains(valkey), valkey + " is an admin command");
          actual.remove(valkey);
        }
        assertTrue(
            ours.contains("\"client|setinfo\"") == category.equalsIgnoreCase("connection"));
        assertEquals(expected, actual, category);
        assertFalse(actual.isEmpty(), category);
      }
      assertTrue(d.keyshard().call("acl", "genpass").matches("\"[0-9a-f]{64}\""));
      assertTrue(d.keyshard().call("acl", "genpass", "5").matches("\"[0-9a-f]{2}\""));
      assertTrue(d.keyshard().call("acl", "genpass", "4096").matches("\"[0-9a-f]{1024}\""));
      assertTrue(d.keyshard().call("acl", "help").startsWith("[+ACL <subcommand>"));
      d.assertNoMismatches();
    }
  }

  @Test
  void delUserClosesItsConnections() throws Exception {
    try (Differential admin = diff();
        Differential bob = diff();
        Differential self = diff()) {
      admin.check("acl", "setuser", "bob", "on", ">bob-pw", "+@all", "~*");
      admin.check("acl", "setuser", "eve", "on", ">eve-pw", "+@all", "~*");
      bob.check("auth", "bob", "bob-pw");
      self.check("auth", "eve", "eve-pw");
      admin.check("client", "kill", "user", "nosuch");
      admin.check("acl", "deluser", "bob", "nosuch");
      assertTrue(bob.keyshard().isClosedByServer());
      assertTrue(bob.redis().isClosedByServer());
      self.check("acl", "deluser", "eve");
      assertTrue(self.keyshard().isClosedByServer());
      assertTrue(self.redis().isClosedByServer());
      admin.check("acl", "users");
      admin.check("ping");
      admin.assertNoMismatches();
      self.assertNoMismatches();
    }
  }

  @Test
  void defaultUserFollowsRequirepassAndNoClearPasswordIsShown() throws Exception {
    String pass = "req-pass-123";
    try (Differential admin = diff()) {
      admin.check(AclTest::singlesSorted, "acl", "getuser", "default");
      admin.check("config", "set", "requirepass", pass);
      admin.check(r -> lineOf(r, "default"), "acl", "list");
      try (Differential d = diff()) {
        d.check("get", "x");
        d.check("auth", pass);
        d.check("acl", "whoami");
        d.assertNoMismatches();
      }
      admin.check("acl", "setuser", "hashed", "on", ">" + pass, "+@all", "~*");
      admin.check(r -> lineOf(r, "hashed"), "acl", "list");
      for (String[] args :
          List.of(
              new String[] {"acl", "list"},
              new String[] {"acl", "getuser", "hashed"},
              new String[] {"client", "list"},
              new String[] {"info", "everything"})) {
        String reply = admin.keyshard().call(args);
        assertFalse(reply.contains(pass), String.join(" ", args) + " shows the password");
      }
      admin.check("config", "set", "requirepass", "");
      admin.check(AclTest::singlesSorted, "acl", "getuser", "default");
      try (Differential d = diff()) {
        d.check("get", "x");
        d.check("auth", "x");
        d.assertNoMismatches();
      }
      // The default user turned off: new connections must sign in as someone else.
      admin.check("acl", "setuser", "default", "off");
      try (Differential d = diff()) {
        d.check("get", "x");
        d.check("auth", "hashed", pass);
        d.check("get", "x");
        d.assertNoMismatches();
      }
      admin.check("acl", "setuser", "default", "on");
      admin.assertNoMismatches();
    }
  }

  @Test
  void singleRulesAreComparedAsASet() {
    assertEquals(
        "\"user t on -@all +@hash +get +set\"",
        singlesSorted("\"user t on -@all +@hash +set +get\""));
    assertEquals("[\"-@all +a +b\", \"x\"]", singlesSorted("[\"-@all +b +a\", \"x\"]"));
  }
}
