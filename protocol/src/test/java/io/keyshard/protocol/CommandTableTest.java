package io.keyshard.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What the table holds, and COMMAND answered from it. */
class CommandTableTest {
  private final CommandTable table = CommandTable.standard();

  private static byte[][] argv(String... args) {
    byte[][] out = new byte[args.length][];
    for (int i = 0; i < args.length; i++) out[i] = args[i].getBytes(StandardCharsets.UTF_8);
    return out;
  }

  /** Every command Keyshard implements has exactly one entry, and nothing else does. */
  @Test
  void holdsExactlyTheImplementedCommands() {
    Set<String> expected = new TreeSet<>(List.of((""
        + "ping echo select hello auth client quit reset command config info dbsize flushdb "
        + "flushall time lastsave save bgsave debug sync replconf shutdown cluster readonly readwrite asking "
        // Keyshard's own (keyshard-backup verify --against):
        + "keyshard "
        + "del unlink exists type touch expire pexpire expireat pexpireat ttl pttl expiretime "
        + "pexpiretime persist rename renamenx copy sort sort_ro move keys scan randomkey object wait "
        + "get set setnx setex psetex getset getdel getex mget mset msetnx append strlen incr "
        + "decr incrby decrby incrbyfloat getrange setrange substr lcs "
        + "hset hsetnx hget hmget hmset hdel hlen hstrlen hexists hkeys hvals hgetall hincrby "
        + "hincrbyfloat hrandfield hscan "
        // lists:
        + "lpush rpush lpushx rpushx lpop rpop llen lrange lindex lset linsert lrem ltrim lpos "
        + "lmove rpoplpush lmpop blpop brpop blmove brpoplpush blmpop "

        // sets:
        + "sadd srem scard sismember smismember smembers spop srandmember smove sinter sunion "
        + "sdiff sinterstore sunionstore sdiffstore sintercard sscan "

        // sorted sets:
        + "zadd zincrby zrem zcard zscore zmscore zrank zrevrank zcount zlexcount zrange "
        + "zrangestore zrevrange zrangebyscore zrevrangebyscore zrangebylex zrevrangebylex "
        + "zremrangebyrank zremrangebyscore zremrangebylex zpopmin zpopmax bzpopmin bzpopmax "
        + "zmpop bzmpop zunion zinter zdiff zunionstore zinterstore zdiffstore zintercard "
        + "zrandmember zscan "

        // streams:
        + "xadd xrange xrevrange xlen xdel xtrim xread xgroup xreadgroup xack xpending xclaim "
        + "xautoclaim xinfo xsetid "

        + "multi exec discard watch unwatch "

        // pub/sub:
        + "subscribe psubscribe unsubscribe punsubscribe publish ssubscribe sunsubscribe spublish pubsub "

        // scripting:
        + "eval evalsha eval_ro evalsha_ro script fcall fcall_ro function "

        // moving values (DUMP payloads):
        + "dump restore restore-asking migrate "

        // access control:
        + "acl").split(" ")));
    assertEquals(expected, table.all().stream().map(CommandSpec::name)
        .collect(Collectors.toCollection(TreeSet::new)));
    assertEquals(expected.size(), table.all().size());
    assertSubcommands("client", "id setname getname info list kill no-evict reply tracking caching getredir trackinginfo setinfo help");
    assertSubcommands("command", "count info docs list getkeys help");
    assertSubcommands("config", "get set resetstat help rewrite");
    assertSubcommands(
        "cluster",
        "info nodes slots shards keyslot myid help addslots addslotsrange delslots delslotsrange "
            + "set-config-epoch meet forget bumpepoch saveconfig countkeysinslot getkeysinslot setslot replicate replicas slaves failover reset"
            + " migrateslots getslotmigrations cancelslotmigrations");
    assertSubcommands("object", "encoding freq idletime refcount help");
    assertSubcommands(
        "acl", "cat deluser dryrun genpass getuser help list log setuser users whoami");
  }

  private void assertSubcommands(String container, String names) {
    CommandSpec c = table.lookupFullName(container);
    assertEquals(new TreeSet<>(List.of(names.split(" "))),
        c.subcommands().stream().map(CommandSpec::name).collect(Collectors.toSet()).stream()
            .collect(Collectors.toCollection(TreeSet::new)), container);
    for (CommandSpec sub : c.subcommands()) {
      assertEquals(container + "|" + sub.name(), sub.fullName());
      assertEquals(c.group(), sub.group(), sub.fullName());
      assertTrue(sub.subcommands().isEmpty());
    }
  }

  @Test
  void declarationsAreWellFormed() {
    for (CommandSpec c : table.all()) {
      List<CommandSpec> specs = new ArrayList<>(c.subcommands());
      specs.add(c);
      for (CommandSpec s : specs) {
        assertEquals(s.name().toLowerCase(), s.name());
        assertTrue(s.arity() != 0, s.fullName());
        assertTrue(CommandFlags.COMMAND.containsAll(s.flags()), s.fullName());
        assertTrue(CommandFlags.ACL.containsAll(s.aclCategories()), s.fullName());
        // Redis's binary world: every command is exactly one of fast and slow.
        assertTrue(s.aclCategories().contains("fast") ^ s.aclCategories().contains("slow"));
        assertTrue(!s.isWrite() || !s.isReadonly(), s.fullName());
        // A key count in the arguments (movablekeys) leaves the legacy range at 0, as in Redis.
        assertEquals(s.hasKeys(), s.firstKey() > 0 || s.flags().contains("movablekeys"), s.fullName());
        // A subcommand's arity counts the container and the subcommand.
        if (s.isSubcommand()) assertTrue(Math.abs(s.arity()) >= 2, s.fullName());
        assertTrue(!s.summary().isEmpty() && !s.since().isEmpty());
        // Only SYNC has no complexity in Redis 7.0's docs (COMMAND DOCS leaves the field out).
        assertTrue(s.complexity() == null ? s.name().equals("sync") : !s.complexity().isEmpty(), s.fullName());
      }
    }
  }

  @Test
  void commandCountIsTheNumberOfTopLevelCommands() {
    assertEquals(new Reply.Int(table.all().size()), table.command(argv("command", "count")));
  }

  @Test
  void commandAndCommandInfoListEveryTopLevelCommand() {
    Reply.Array all = (Reply.Array) table.command(argv("COMMAND"));
    assertEquals(table.all().size(), all.items().size());
    assertEquals(all.items().size(),
        ((Reply.Array) table.command(argv("command", "info"))).items().size());
    assertEquals(table.all().size() * 2,
        ((Reply.Map) table.command(argv("command", "docs"))).keysAndValues().size());
  }

  @Test
  void commandListNamesSubcommandsByFullName() {
    List<String> names = ((Reply.Array) table.command(argv("command", "list"))).items().stream()
        .map(r -> new String(((Reply.Bulk) r).value(), StandardCharsets.UTF_8)).toList();
    int subcommands = table.all().stream().mapToInt(c -> c.subcommands().size()).sum();
    assertEquals(table.all().size() + subcommands, names.size());
    assertTrue(names.contains("config|get"));
    assertTrue(names.contains("client|setinfo"));
  }

  @Test
  void commandChecksItsOwnArgumentsFirst() {
    assertEquals(Reply.error("ERR unknown subcommand 'nosuch'. Try COMMAND HELP."),
        table.command(argv("command", "nosuch")));
    assertEquals(Err.wrongArity("command|count"), table.command(argv("command", "count", "x")));
  }

  @Test
  void commandRefusesOtherCommands() {
    assertThrows(IllegalArgumentException.class, () -> table.command(argv("get", "k")));
  }
}
