package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.commands.CommandRegistry.Binding;
import io.keyshard.node.commands.CommandRegistry.Kind;
import io.keyshard.node.commands.CommandRegistry.Trait;
import io.keyshard.node.server.SessionCommand;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.CommandTable;
import io.keyshard.protocol.Reply;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Every command the table declares is bound to exactly one handler. The session families need a
 * running node to construct, so this test binds their names as a node does (the start-up check
 * in {@link CommandRegistry.Builder#build} covers the real handlers at every boot).
 */
class CommandRegistryTest {
  private static final CommandTable TABLE = CommandTable.standard();
  private static final SessionCommand ANY = (s, a, spec) -> CompletableFuture.completedFuture(Reply.OK);

  /** The keyed families plus the connection's commands, as KeyshardNode registers them. */
  private static CommandRegistry.Builder node() {
    CommandRegistry.Builder r = CommandRegistry.keyedCommands();
    for (String name :
        Set.of("hello", "auth", "command", "client", "config", "acl", "time", "lastsave", "save",
            "bgsave", "cluster", "readonly", "readwrite", "shutdown", "migrate", "sort", "sort_ro", "sync", "replconf",
            "eval", "evalsha", "eval_ro", "evalsha_ro", "script", "subscribe", "psubscribe", "ssubscribe",
            "unsubscribe", "punsubscribe", "sunsubscribe", "publish", "spublish", "pubsub", "fcall", "fcall_ro",
            "function", "wait")) {
      r.session(name, ANY);
    }
    for (String name : Set.of("ping", "echo", "select", "asking")) {
      r.session(name, ANY, Trait.ANSWERS_IN_ORDER);
    }
    for (String name : Set.of("quit", "reset")) {
      r.session(name, ANY, Trait.ACTS_ON_MULTI, Trait.TAKEN_IN_MULTI_WHEN_OOM);
    }
    for (String name : Set.of("info", "dbsize", "flushdb", "flushall", "keys", "scan", "randomkey", "debug", "keyshard")) {
      r.keyspaceWide(name, ANY);
    }
    new TransactionCommands(null, null).register(r);
    return r;
  }

  @Test
  void everyCommandInTheTableIsBoundExactlyOnce() {
    CommandRegistry registry = node().build(TABLE);
    Set<String> declared = new TreeSet<>();
    for (CommandSpec spec : TABLE.all()) {
      assertTrue(declared.add(spec.name()), "declared twice: " + spec.name());
      Binding b = registry.get(spec.name());
      assertNotNull(b, spec.name());
      assertTrue(b.kind() != Kind.INTERNAL, spec.name());
      boolean slot = b.kind() == Kind.SLOT || b.kind() == Kind.BLOCKING;
      assertEquals(slot, b.body() != null, spec.name() + " has a slot body iff it runs in a slot");
      assertEquals(b.kind().atConnection(), b.session() != null, spec.name());
    }
    for (Binding b : registry.all().values()) {
      assertEquals(b.kind() == Kind.INTERNAL, !declared.contains(b.name()), b.name());
    }
  }

  @Test
  void aSecondBindingOfTheSameNameIsRefused() {
    CommandRegistry.Builder r = CommandRegistry.keyedCommands();
    assertThrows(IllegalStateException.class, () -> r.session("get", ANY));
    assertThrows(IllegalStateException.class, () -> r.crossSlot("mget", (ex, db, argv, spec) -> null));
  }

  @Test
  void aTableCommandWithoutAHandlerStopsTheStart() {
    CommandRegistry.Builder r = CommandRegistry.keyedCommands(); // no session families
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.build(TABLE));
    assertTrue(e.getMessage().contains("ping: declared in the table, bound to no handler"), e.getMessage());
  }

  @Test
  void kindsAndTraitsReplaceTheOldNameSets() {
    CommandRegistry registry = node().build(TABLE);
    assertEquals(Kind.BLOCKING, registry.get("blpop").kind());
    assertNotNull(registry.get("blmove").crossSlot(), "BLMOVE's first run may span slots");
    assertNotNull(registry.get("mset").crossSlot());
    assertNull(registry.get("lpush").crossSlot());
    assertEquals(Kind.KEYSPACE_WIDE, registry.get("info").kind());
    assertEquals(Kind.TRANSACTION_CONTROL, registry.get("unwatch").kind());
    assertTrue(!registry.get("unwatch").has(Trait.ACTS_ON_MULTI), "UNWATCH is queued inside MULTI");
    assertTrue(registry.get("watch").has(Trait.ACTS_ON_MULTI));
    assertTrue(!registry.get("watch").has(Trait.TAKEN_IN_MULTI_WHEN_OOM));
    assertTrue(registry.get("exec").has(Trait.TAKEN_IN_MULTI_WHEN_OOM));
    assertEquals(Kind.INTERNAL, registry.get("__keys").kind());
  }
}
