package io.keyshard.node.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.NodeAndRedisTestBase;
import io.keyshard.node.testing.RawClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ACL channel rules against a real redis-server 7.0.15: PUBLISH, SPUBLISH, SUBSCRIBE, SSUBSCRIBE
 * by glob, PSUBSCRIBE by the literal pattern, NOPERM texts (at top level, queued in MULTI, in
 * EXEC's re-check, in a script), ACL DRYRUN, ACL LOG entries, acl-pubsub-default for new and
 * RESET users, and the connections Redis closes when a user's channels no longer allow their
 * subscriptions.
 */
class AclChannelsDifferentialTest extends NodeAndRedisTestBase {
  /** ACL LOG entries without what differs by nature (the age, the client's id and address). */
  private static final UnaryOperator<String> LOG =
      r ->
          r.replaceAll("\"age-seconds\", (\"[^\"]*\"|,[^,\\]}]*)", "\"age-seconds\", AGE")
              .replaceAll(
                  "\"client-info\", \"id=[^\"]*? (cmd=\\S+ user=\\S+)[^\"]*\"",
                  "\"client-info\", \"$1\"");

  @AfterEach
  void dropUsers() throws IOException {
    for (int port : new int[] {node.port(), redis.port()}) {
      try (RawClient c = new RawClient(port)) {
        c.call("CONFIG", "SET", "acl-pubsub-default", "resetchannels");
        for (String u : List.of("ps", "fresh", "reset1", "reset2", "keyless")) {
          c.call("ACL", "DELUSER", u);
        }
        c.call("ACL", "LOG", "RESET");
      }
    }
  }

  /** Runs setup commands on both servers' admin connections, replies compared. */
  private static void admin(Differential d, String... args) throws IOException {
    d.check(args);
  }

  @Test
  void channelRulesAreCheckedAsRedisChecksThem() throws Exception {
    try (Differential admin = new Differential(node.port(), redis.port())) {
      admin.check("ACL", "SETUSER", "ps", "on", "nopass", "+@all", "~*", "&foo*", "&bar");
      admin.check("ACL", "LOG", "RESET");
      admin.assertNoMismatches();
    }
    List<List<String>> sessions =
        List.of(
            List.of("PUBLISH foo1 x", "PUBLISH baz x", "PUBLISH bar x", "PUBLISH ba? x"),
            List.of("SPUBLISH bar x", "SPUBLISH baz x", "SPUBLISH foo x"),
            List.of("SUBSCRIBE foo1 baz", "SSUBSCRIBE baz", "SSUBSCRIBE bar baz"),
            List.of("SUBSCRIBE foo1", "SUBSCRIBE bar", "SUBSCRIBE zz", "PUBLISH foo1 x"),
            List.of("SSUBSCRIBE foo9"),
            List.of("PSUBSCRIBE foo", "PSUBSCRIBE fo*", "PSUBSCRIBE foo1*", "PSUBSCRIBE *", "PSUBSCRIBE ba?"),
            List.of("PSUBSCRIBE foo*", "PSUBSCRIBE bar"),
            List.of("MULTI", "PUBLISH baz x", "PUBLISH foo x", "EXEC"),
            List.of("MULTI", "ACL SETUSER ps resetchannels &bar", "PUBLISH foo x", "SUBSCRIBE foo", "EXEC",
                "ACL SETUSER ps resetchannels &foo* &bar"),
            // Introspection is not checked (the channels are those of this test's subscribers).
            List.of("PUBSUB NUMSUB baz", "PUBSUB SHARDNUMSUB baz"),
            // Keyspace notifications are channels like any other.
            List.of("PSUBSCRIBE __keyspace@0__:*", "SUBSCRIBE __keyevent@0__:set"));
    for (List<String> session : sessions) {
      try (Differential d = new Differential(node.port(), redis.port())) {
        d.check("AUTH", "ps", "any");
        for (String command : session) {
          d.check(command.split(" "));
        }
        d.assertNoMismatches();
      }
    }
    try (Differential d = new Differential(node.port(), redis.port())) {
      d.check("AUTH", "ps", "any");
      // Scripts: refused with the script's own text, and logged with context "lua".
      d.check("EVAL", "return redis.call('publish', 'baz', 'x')", "0");
      d.check("EVAL", "return redis.pcall('publish', 'baz', 'x')", "0");
      d.check("EVAL", "return redis.call('publish', 'foo', 'x')", "0");
      d.check("EVAL", "return redis.acl_check_cmd('publish', 'foo', 'x')", "0");
      // ACL DRYRUN names the channel.
      for (String cmd :
          List.of("publish baz x", "publish foo1 x", "subscribe foo1 baz", "psubscribe foo1*",
              "psubscribe foo*", "ssubscribe a", "spublish a b", "pubsub numsub baz")) {
        List<String> args = new ArrayList<>(List.of("ACL", "DRYRUN", "ps"));
        args.addAll(List.of(cmd.split(" ")));
        d.check(args.toArray(String[]::new));
      }
      // Every denial above, newest first, grouped as Redis groups them.
      d.check(LOG, "ACL", "LOG"); // the 10 newest
      d.check(LOG, "ACL", "LOG", "100");
      d.check(LOG, "ACL", "LOG", "2");
      d.check("ACL", "LOG", "abc");
      d.check("ACL", "LOG", "-1");
      d.check("ACL", "LOG", "1", "2");
      d.check("ACL", "LOG", "RESET");
      d.check("ACL", "LOG");
      d.assertNoMismatches();
    }
  }

  @Test
  void shardChannelsAreChannelsNotKeys() throws Exception {
    try (Differential d = new Differential(node.port(), redis.port())) {
      d.check("ACL", "SETUSER", "keyless", "on", "nopass", "+@all", "resetkeys", "&*");
      d.check("AUTH", "keyless", "x");
      d.check("SPUBLISH", "anything", "x");
      d.check("GET", "anything");
      d.check("SSUBSCRIBE", "anything");
      d.assertNoMismatches();
    }
  }

  @Test
  void aclPubsubDefaultGivesNewAndResetUsersTheirChannels() throws Exception {
    try (Differential d = new Differential(node.port(), redis.port())) {
      d.check("CONFIG", "GET", "acl-pubsub-default");
      d.check("ACL", "SETUSER", "fresh");
      d.check("ACL", "GETUSER", "fresh");
      d.check("CONFIG", "SET", "acl-pubsub-default", "ALLCHANNELS");
      d.check("CONFIG", "GET", "acl-pubsub-default");
      d.check("ACL", "SETUSER", "reset1");
      d.check("ACL", "SETUSER", "fresh", "reset");
      d.check("ACL", "GETUSER", "reset1");
      d.check("ACL", "GETUSER", "fresh");
      d.check("CONFIG", "SET", "acl-pubsub-default", "sometimes");
      d.check("CONFIG", "SET", "acl-pubsub-default", "resetchannels");
      d.check("ACL", "SETUSER", "reset2", "on", "nopass", "+@all", "~*");
      d.check("ACL", "SETUSER", "reset1", "reset");
      d.check("ACL", "LIST");
      d.check("AUTH", "reset2", "x");
      d.check("PUBLISH", "c", "m");
      d.check("AUTH", "fresh", "x");
      d.assertNoMismatches();
    }
  }

  @Test
  void failedAuthIsLoggedWithTheCommandAsTyped() throws Exception {
    try (Differential d = new Differential(node.port(), redis.port())) {
      d.check("ACL", "LOG", "RESET");
      d.check("AuTh", "nosuchuser", "pw");
      d.check("HELLO", "2", "AUTH", "other", "pw");
      d.check("AUTH", "nosuchuser", "pw");
      d.check(LOG, "ACL", "LOG");
      d.assertNoMismatches();
    }
  }

  /**
   * Clients of user ps, each holding one kind of subscription (or none); after each ACL change
   * every client is asked PING: a closed one answers nothing. Both servers must close the same.
   */
  @Test
  void subscribersNoLongerAllowedAreDisconnected() throws Exception {
    assertEquals(states(redis.port()), states(node.port()));
    List<String> expected = states(redis.port());
    // Sanity: the scenario closes some clients at each narrowing, not all of them at once.
    assertTrue(expected.contains("[closed, open, open, open, open]"), expected.toString());
    assertTrue(expected.contains("[closed, closed, open, open, open]"), expected.toString());
  }

  private static List<String> states(int port) throws Exception {
    List<String> out = new ArrayList<>();
    try (RawClient admin = new RawClient(port)) {
      admin.call("ACL", "SETUSER", "ps", "on", "nopass", "+@all", "~*", "&foo", "&bar*");
      String[][] subscriptions = {
        {"SUBSCRIBE", "foo"}, {"PSUBSCRIBE", "bar*"}, {"SSUBSCRIBE", "bar1"}, {"SUBSCRIBE", "bar2"}, null
      };
      List<RawClient> clients = new ArrayList<>();
      try {
        for (String[] sub : subscriptions) {
          RawClient c = new RawClient(port);
          clients.add(c);
          c.call("AUTH", "ps", "x");
          if (sub != null) {
            out.add(sub[0] + " " + sub[1] + ": " + c.call(sub));
          }
        }
        for (String[] change :
            new String[][] {
              {"ACL", "SETUSER", "ps", "+get"},
              {"ACL", "SETUSER", "ps", "resetchannels", "&bar*"},
              {"ACL", "SETUSER", "ps", "resetchannels", "&bar1", "&bar2"},
              {"ACL", "SETUSER", "ps", "allchannels"},
              {"ACL", "DELUSER", "ps"}
            }) {
          out.add(String.join(" ", change) + ": " + admin.call(change));
          out.add(pings(clients));
        }
      } finally {
        for (RawClient c : clients) {
          c.close();
        }
      }
    }
    return out;
  }

  /** "open" or "closed" per client, in order; a closed client stays closed. */
  private static String pings(List<RawClient> clients) throws IOException {
    List<String> states = new ArrayList<>();
    for (RawClient c : clients) {
      String reply;
      try {
        reply = c.call("PING");
      } catch (IOException e) {
        reply = "(closed)";
      }
      states.add(reply.equals("(closed)") ? "closed" : "open");
    }
    return states.toString();
  }
}
