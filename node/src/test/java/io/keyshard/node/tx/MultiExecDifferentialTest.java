package io.keyshard.node.tx;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH against a real redis-server, replies compared exactly,
 * mostly over keys in different slots ("a", "b", "c" and "{x}1" all hash apart), so every EXEC
 * here is a multi-slot transaction in Keyshard. Two connections per server ({@code d} and
 * {@code other}) cover changes made by another client. Test names follow Redis's own
 * tests/unit/multi.tcl where one exists.
 *
 * <p>The node's active expiry runs at most once an hour per slot, so a key can stay in a slot
 * after its time, as it does in Redis with DEBUG SET-ACTIVE-EXPIRE 0: the "stale key" cases
 * need that, the others do not depend on when expiry runs.
 */
class MultiExecDifferentialTest {
  private static RedisProcess redis;
  private static TestNode node;
  private Differential d;
  private Differential other;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisProcess.start("--enable-debug-command", "local");
    node =
        TestNode.start(
            Files.createTempDirectory("keyshard-multi"),
            Map.of(
                "keyshard.active-expire.interval", "1h",
                // A request stuck behind a transaction's lock shows up within the class's budget.
                "keyshard.request-timeout", "5s"));
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

  @BeforeEach
  void open() throws Exception {
    d = new Differential(node.port(), redis.port());
    other = new Differential(node.port(), redis.port());
    d.both("FLUSHALL");
  }

  @AfterEach
  void close() throws Exception {
    d.close();
    other.close();
  }

  private void assertNoMismatches() {
    assertAll(d::assertNoMismatches, other::assertNoMismatches);
  }

  private static final Pattern FLAT_STRINGS = Pattern.compile("\\[(\"[^\"\\[\\]]*\"(, \"[^\"\\[\\]]*\")*)]");

  /** Sorts every flat list of bulk strings inside a reply (KEYS order is unspecified). */
  static final UnaryOperator<String> SORT_LISTS =
      r -> {
        Matcher m = FLAT_STRINGS.matcher(r);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
          List<String> items = new ArrayList<>(List.of(m.group(1).split(", ")));
          items.sort(null);
          m.appendReplacement(out, Matcher.quoteReplacement("[" + String.join(", ", items) + "]"));
        }
        m.appendTail(out);
        return out.toString();
      };

  /** HELLO's reply names the connection id, which differs between the servers. */
  static final UnaryOperator<String> HELLO_ID = r -> r.replaceAll("\"id\"(, |=):\\d+", "\"id\"$1:ID");

  // ---- MULTI / EXEC / DISCARD basics ----

  @Test
  void multiExecRunsQueuedCommandsInOrderAcrossSlots() throws Exception {
    d.check("SET", "c", "10");
    d.check("MULTI");
    d.check("SET", "a", "1");
    d.check("INCR", "a");
    d.check("MSET", "b", "x", "{x}1", "y");
    d.check("INCRBY", "c", "5");
    d.check("MGET", "a", "b", "c", "{x}1", "missing");
    d.check("RENAME", "{x}1", "d");
    d.check("COPY", "a", "e");
    d.check("DEL", "b", "c", "missing");
    d.check("EXISTS", "a", "b", "c", "d", "e");
    d.check("EXEC");
    d.check("MGET", "a", "b", "c", "d", "e", "{x}1");
    assertNoMismatches();
  }

  /** A keyless form of a keyed command (OBJECT HELP) runs inside the transaction too. */
  @Test
  void keylessCommandInsideMulti() throws Exception {
    d.check("MULTI");
    d.check("SET", "a", "1");
    d.check("OBJECT", "HELP");
    d.check("SET", "b", "2");
    d.check("EXEC");
    d.check("MULTI");
    d.check("OBJECT", "HELP");
    d.check("EXEC");
    assertNoMismatches();
  }

  /**
   * Commands flagged no_multi are refused inside MULTI and doom it, as Redis 7.0's "MULTI with
   * SAVE/SHUTDOWN" tests expect: a SHUTDOWN queued and run by EXEC stopped the node.
   */
  @Test
  void noMultiCommandsAreRefusedInsideMulti() throws Exception {
    for (String cmd : new String[] {"SAVE", "SHUTDOWN"}) {
      d.check("DEL", "foo");
      d.check("MULTI");
      d.check("SET", "foo", "bar");
      d.check(cmd);
      d.check("EXEC");
      d.check("GET", "foo");
    }
    d.check("PING");
    assertNoMismatches();
  }

  @Test
  void execWithoutMultiAndDiscardWithoutMulti() throws Exception {
    d.check("EXEC");
    d.check("DISCARD");
    d.check("MULTI");
    d.check("DISCARD");
    d.check("DISCARD");
    d.check("EXEC");
    assertNoMismatches();
  }

  @Test
  void multiCannotBeNested() throws Exception {
    d.check("MULTI");
    d.check("SET", "a", "1");
    d.check("MULTI");
    d.check("SET", "b", "2");
    d.check("EXEC");
    d.check("MGET", "a", "b");
    assertNoMismatches();
  }

  @Test
  void emptyMultiExec() throws Exception {
    d.check("MULTI");
    d.check("EXEC");
    d.check("MULTI");
    d.check("DISCARD");
    assertNoMismatches();
  }

  @Test
  void discardDropsTheQueuedCommands() throws Exception {
    d.check("SET", "a", "1");
    d.check("MULTI");
    d.check("SET", "a", "2");
    d.check("DEL", "b", "c");
    d.check("DISCARD");
    d.check("GET", "a");
    assertNoMismatches();
  }

  /** "EXEC fails if there are errors while queueing commands #1" */
  @Test
  void execAbortAfterAnUnknownCommand() throws Exception {
    d.check("MULTI");
    d.check("SET", "a", "1");
    d.check("NOSUCHCOMMAND", "x");
    d.check("SET", "b", "2");
    d.check("EXEC");
    d.check("MGET", "a", "b");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** "EXEC fails if there are errors while queueing commands #2" */
  @Test
  void execAbortAfterWrongArity() throws Exception {
    d.check("MULTI");
    d.check("SET", "a", "1");
    d.check("SET", "b");
    d.check("GET");
    d.check("CLIENT", "NOSUCHSUB");
    d.check("EXEC");
    d.check("MGET", "a", "b");
    assertNoMismatches();
  }

  /** "If EXEC aborts, the client MULTI state is cleared" */
  @Test
  void execAbortClearsTheMultiState() throws Exception {
    d.check("MULTI");
    d.check("SYNTAX", "ERROR");
    d.check("EXEC");
    d.check("PING");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** A rejected EXEC (wrong arity) aborts and discards the transaction and its WATCHes. */
  @Test
  void rejectedExecDiscardsTheTransaction() throws Exception {
    d.check("WATCH", "a");
    d.check("MULTI");
    d.check("SET", "b", "1");
    d.check("EXEC", "extra");
    d.check("EXEC");
    d.check("GET", "b");
    other.check("SET", "a", "changed");
    d.check("MULTI");
    d.check("GET", "a");
    d.check("EXEC");
    // Outside MULTI too: the rejected EXEC forgets the WATCHes.
    d.check("WATCH", "c");
    d.check("EXEC", "extra");
    other.check("SET", "c", "changed");
    d.check("MULTI");
    d.check("GET", "c");
    d.check("EXEC");
    assertNoMismatches();
  }

  @Test
  void runtimeErrorInsideExecLeavesTheOtherCommandsApplied() throws Exception {
    d.check("SET", "b", "not-a-number");
    d.check("MULTI");
    d.check("SET", "a", "1");
    d.check("INCR", "b");
    d.check("INCR", "a");
    d.check("RENAME", "missing", "c");
    d.check("SET", "{x}1", "ok");
    d.check("COPY", "a", "a");
    d.check("EXEC");
    d.check("MGET", "a", "b", "c", "{x}1");
    assertNoMismatches();
  }

  // ---- WATCH ----

  /** "EXEC fail on WATCHed key modified (1 key of 5 watched)", by another connection. */
  @Test
  void watchedKeyChangedByAnotherConnection() throws Exception {
    d.check("MSET", "a", "1", "b", "2", "c", "3");
    d.check("WATCH", "a", "b", "c", "{x}1", "missing");
    other.check("SET", "b", "changed");
    d.check("MULTI");
    d.check("GET", "a");
    d.check("SET", "c", "from-exec");
    d.check("EXEC");
    d.check("MGET", "a", "b", "c");
    assertNoMismatches();
  }

  @Test
  void watchedKeyNotModifiedLetsExecRun() throws Exception {
    d.check("MSET", "a", "1", "b", "2");
    d.check("WATCH", "a", "b");
    other.check("SET", "c", "unrelated");
    other.check("GET", "a");
    d.check("MULTI");
    d.check("INCR", "a");
    d.check("INCR", "b");
    d.check("EXEC");
    assertNoMismatches();
  }

  @Test
  void watchedKeyChangedByTheSameConnection() throws Exception {
    d.check("SET", "a", "1");
    d.check("WATCH", "a", "b");
    d.check("INCR", "a");
    d.check("MULTI");
    d.check("GET", "a");
    d.check("EXEC");
    assertNoMismatches();
  }

  @Test
  void watchedMissingKeyCreatedByAnotherConnection() throws Exception {
    d.check("WATCH", "a");
    other.check("SET", "a", "1");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    // A key created and deleted again still counts as touched.
    d.check("WATCH", "b");
    other.check("SET", "b", "1");
    other.check("DEL", "b");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    assertNoMismatches();
  }

  @Test
  void watchedKeyTouchedByACrossSlotCommandOfAnotherConnection() throws Exception {
    d.check("MSET", "a", "1", "c", "3");
    d.check("WATCH", "a");
    other.check("MSET", "b", "2", "a", "2");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    d.check("WATCH", "c");
    other.check("RENAME", "c", "{x}1");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    d.check("WATCH", "{x}1");
    other.check("DEL", "a", "{x}1", "b");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** The brief's case: SET k v PX 50, WATCH, the key expires, then EXEC. */
  @Test
  void watchedKeyThatExpiresAfterWatch() throws Exception {
    d.check("SET", "k", "v", "PX", "50");
    d.check("WATCH", "k");
    Thread.sleep(100);
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** "WATCH will consider touched keys target of EXPIRE" */
  @Test
  void watchConsidersExpireATouch() throws Exception {
    d.check("SET", "a", "foo");
    d.check("WATCH", "a");
    d.check("EXPIRE", "a", "100");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    assertNoMismatches();
  }

  /**
   * "WATCH stale keys should not fail EXEC", "Delete WATCHed stale keys should not fail EXEC",
   * "FLUSHDB while watching stale keys should not fail EXEC": a key already expired (but still
   * stored) when WATCHed is not a change when it goes away; writing it is.
   */
  @Test
  void watchingStaleKeys() throws Exception {
    d.redis().call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      // Let the slot of "{st}" run its one expiry cycle, so later keys there stay stale.
      d.both("SET", "{st}prime", "1", "PX", "1");
      Thread.sleep(100);

      String[][] afterWatch = {
        {}, {"DEL", "{st}x"}, {"GET", "{st}x"}, {"EXISTS", "{st}x"}, {"FLUSHDB"}, {"FLUSHALL"},
        {"SET", "{st}x", "new"}, {"EXPIRE", "{st}x", "100"},
      };
      for (String[] change : afterWatch) {
        d.check("SET", "{st}x", "foo", "PX", "1");
        Thread.sleep(20);
        d.check("WATCH", "{st}x");
        if (change.length > 0) {
          other.check(change);
        }
        d.check("MULTI");
        d.check("PING");
        d.check("EXEC");
        d.check("UNWATCH");
      }
      // Stale, removed (no change), then written: EXEC fails.
      d.check("SET", "{st}x", "foo", "PX", "1");
      Thread.sleep(20);
      d.check("WATCH", "{st}x");
      other.check("DEL", "{st}x");
      other.check("SET", "{st}x", "again");
      d.check("MULTI");
      d.check("PING");
      d.check("EXEC");
    } finally {
      d.redis().call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
    assertNoMismatches();
  }

  /** "FLUSHALL is able to touch the watched keys", "FLUSHALL does not touch non affected keys" */
  @Test
  void watchThenFlushallByAnotherConnection() throws Exception {
    d.check("SET", "a", "1");
    d.check("WATCH", "a");
    other.check("FLUSHALL");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    d.check("WATCH", "b");
    other.check("FLUSHALL");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** "FLUSHDB is able to touch the watched keys", "FLUSHDB does not touch non affected keys" */
  @Test
  void watchThenFlushdbByAnotherConnection() throws Exception {
    d.check("SET", "a", "1");
    d.check("WATCH", "a");
    other.check("FLUSHDB");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    // A FLUSHDB of another database leaves db 0's watched key alone.
    d.check("SET", "a", "1");
    d.check("WATCH", "a");
    other.check("SELECT", "1");
    other.check("SET", "a", "db1");
    other.check("FLUSHDB");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** "WATCH is able to remember the DB a key belongs to" */
  @Test
  void watchRemembersTheDatabase() throws Exception {
    d.check("SELECT", "5");
    d.check("SET", "a", "30");
    d.check("WATCH", "a");
    d.check("SELECT", "1");
    d.check("SET", "a", "10");
    d.check("SELECT", "5");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    d.check("SELECT", "0");
    assertNoMismatches();
  }

  @Test
  void watchInsideMultiIsAnErrorThatDoesNotAbort() throws Exception {
    d.check("MULTI");
    d.check("SET", "a", "1");
    d.check("WATCH", "b");
    d.check("EXEC");
    d.check("MULTI");
    d.check("WATCH");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** "It is possible to UNWATCH", "UNWATCH when there is nothing watched works as expected" */
  @Test
  void unwatch() throws Exception {
    d.check("UNWATCH");
    d.check("SET", "a", "1");
    d.check("WATCH", "a", "b");
    d.check("UNWATCH");
    other.check("SET", "a", "2");
    d.check("MULTI");
    d.check("GET", "a");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** "After successful EXEC key is no longer watched", "After failed EXEC key is no longer watched" */
  @Test
  void execForgetsTheWatches() throws Exception {
    d.check("SET", "a", "1");
    d.check("WATCH", "a");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    other.check("SET", "a", "2");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");

    d.check("WATCH", "a");
    other.check("SET", "a", "3");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");
    other.check("SET", "a", "4");
    d.check("MULTI");
    d.check("PING");
    d.check("EXEC");

    // An EXEC that wrote the watched key itself: the next WATCH starts clean.
    d.check("WATCH", "a");
    d.check("MULTI");
    d.check("SET", "a", "5");
    d.check("EXEC");
    d.check("WATCH", "a");
    d.check("MULTI");
    d.check("GET", "a");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** "DISCARD should clear the WATCH dirty flag on the client", "DISCARD should UNWATCH all the keys" */
  @Test
  void discardForgetsTheWatches() throws Exception {
    d.check("WATCH", "a");
    d.check("SET", "a", "10");
    d.check("MULTI");
    d.check("DISCARD");
    d.check("MULTI");
    d.check("INCR", "a");
    d.check("EXEC");
    d.check("WATCH", "a");
    d.check("MULTI");
    d.check("DISCARD");
    other.check("SET", "a", "10");
    d.check("MULTI");
    d.check("INCR", "a");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** EXECABORT forgets the WATCHes too. */
  @Test
  void execAbortForgetsTheWatches() throws Exception {
    d.check("WATCH", "a");
    d.check("MULTI");
    d.check("NOSUCHCOMMAND");
    d.check("EXEC");
    other.check("SET", "a", "1");
    d.check("MULTI");
    d.check("GET", "a");
    d.check("EXEC");
    assertNoMismatches();
  }

  @Test
  void resetInsideMultiEndsItAndForgetsTheWatches() throws Exception {
    d.check("WATCH", "a");
    d.check("MULTI");
    d.check("SET", "b", "1");
    d.check("RESET");
    d.check("EXEC");
    other.check("SET", "a", "1");
    d.check("MULTI");
    d.check("GET", "a");
    d.check("GET", "b");
    d.check("EXEC");
    assertNoMismatches();
  }

  // ---- connection state and keyspace-wide commands inside MULTI ----

  @Test
  void selectInsideMultiStaysSelectedAfterExec() throws Exception {
    d.check("SET", "a", "db0");
    d.check("MULTI");
    d.check("SELECT", "3");
    d.check("SET", "a", "db3");
    d.check("GET", "a");
    d.check("SELECT", "99");
    d.check("GET", "a");
    d.check("EXEC");
    d.check("GET", "a");
    d.check("SELECT", "0");
    d.check("GET", "a");
    assertNoMismatches();
  }

  @Test
  void dbsizeKeysAndFlushallInsideMulti() throws Exception {
    d.check("MSET", "a", "1", "b", "2", "c", "3", "{x}1", "4");
    d.check("SELECT", "2");
    d.check("SET", "a", "db2");
    d.check("SELECT", "0");
    d.check("MULTI");
    d.check("DBSIZE");
    d.check("KEYS", "*");
    d.check("SET", "d", "5");
    d.check("DEL", "a");
    d.check("DBSIZE");
    d.check("KEYS", "?");
    d.check("SELECT", "2");
    d.check("DBSIZE");
    d.check("SELECT", "0");
    d.check("FLUSHDB");
    d.check("DBSIZE");
    d.check("SET", "e", "6");
    d.check("SELECT", "2");
    d.check("DBSIZE");
    d.check("FLUSHALL");
    d.check("DBSIZE");
    d.check("SELECT", "0");
    d.check("DBSIZE");
    d.check(SORT_LISTS, "EXEC");
    d.check("DBSIZE");
    assertNoMismatches();
  }

  @Test
  void flushWithABadArgumentInsideMulti() throws Exception {
    d.check("MSET", "a", "1", "b", "2");
    d.check("MULTI");
    d.check("FLUSHALL", "NOW");
    d.check("FLUSHDB", "LATER");
    d.check("DBSIZE");
    d.check("FLUSHDB", "ASYNC");
    d.check("DBSIZE");
    d.check("EXEC");
    assertNoMismatches();
  }

  @Test
  void scanInsideMulti() throws Exception {
    d.check("MSET", "a", "1", "b", "2");
    d.check("MULTI");
    d.check("SCAN", "0", "COUNT", "100");
    d.check("SCAN", "notacursor");
    d.check("SCAN", "0", "TYPE", "hash");
    d.check("SCAN", "0", "COUNT", "0");
    d.check(SORT_LISTS, "EXEC");
    assertNoMismatches();
  }

  @Test
  void infoInsideMultiSeesTheTransactionsWrites() throws Exception {
    d.check("MSET", "a", "1", "b", "2");
    d.check("MULTI");
    d.check("SET", "c", "3");
    d.check("INFO", "keyspace");
    d.check("EXEC");
    assertNoMismatches();
  }

  // ---- RESP3 ----

  @Test
  void resp3ExecReplies() throws Exception {
    d.check(HELLO_ID, "HELLO", "3");
    d.check("SET", "b", "2");
    d.check("MULTI");
    d.check("SET", "a", "1");
    d.check("GET", "a");
    d.check("GET", "missing");
    d.check("MGET", "a", "missing", "b");
    d.check("INCR", "b");
    d.check("INCR", "a");
    d.check("SET", "c", "3", "NX", "GET");
    d.check("SET", "c", "4", "XX", "GET");
    d.check("EXISTS", "a", "b", "c");
    d.check("EXEC");
    d.check("MULTI");
    d.check("EXEC");
    d.check("WATCH", "a");
    other.check("SET", "a", "changed");
    d.check("MULTI");
    d.check("GET", "a");
    d.check("EXEC");
    d.check("MULTI");
    d.check("NOSUCHCOMMAND");
    d.check("EXEC");
    d.check("EXEC");
    assertNoMismatches();
  }

  /** Replies after HELLO 3 inside MULTI are RESP3, within the same EXEC reply. */
  @Test
  void helloInsideMultiSwitchesTheProtocolMidReply() throws Exception {
    d.check("MULTI");
    d.check("GET", "missing");
    d.check("HELLO", "3");
    d.check("GET", "missing");
    d.check(HELLO_ID, "EXEC");
    d.check("GET", "missing");
    assertNoMismatches();
  }

  /** Sanity: the keys used above really are in different slots. */
  @Test
  void keysUsedHereSpanSlots() {
    assertEquals(
        4,
        List.of("a", "b", "c", "{x}1").stream().map(TxTesting::slot).distinct().count());
  }
}
