package io.keyshard.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The checks that run before any handler, with Redis 7.0's exact texts. */
class CommandTableCheckTest {
  private final CommandTable table = CommandTable.standard();

  private static byte[][] argv(String... args) {
    byte[][] out = new byte[args.length][];
    for (int i = 0; i < args.length; i++) out[i] = args[i].getBytes(StandardCharsets.UTF_8);
    return out;
  }

  private String check(String... args) {
    Reply r = table.check(argv(args));
    return r == null ? null : ((Reply.Error) r).text();
  }

  @Test
  void acceptsValidCalls() {
    assertNull(check("get", "k"));
    assertNull(check("SET", "k", "v", "EX", "10"));
    assertNull(check("ping"));
    assertNull(check("ping", "hello"));
    assertNull(check("mset", "a", "1"));
    assertNull(check("config", "get", "maxmemory"));
    assertNull(check("CONFIG", "GET", "a", "b"));
    assertNull(check("command"));
    assertNull(check("command", "info"));
    assertNull(check("object", "encoding", "k"));
    assertNull(check("client", "setinfo", "LIB-NAME", "jedis"));
    assertNull(check("cluster", "keyslot", "k"));
  }

  @Test
  void unknownCommandListsArgumentsWithTrailingSpace() {
    assertEquals("ERR unknown command 'foo', with args beginning with: ", check("foo"));
    assertEquals("ERR unknown command 'foo', with args beginning with: 'a' 'b' ",
        check("foo", "a", "b"));
    assertEquals("ERR unknown command 'FOO', with args beginning with: 'A' ", check("FOO", "A"));
  }

  @Test
  void unknownCommandTruncatesAt128BytesAndBlanksNewlines() {
    String name = "x".repeat(200);
    assertEquals("ERR unknown command '" + "x".repeat(128) + "', with args beginning with: '"
        + "a".repeat(128) + "' ", check(name, "a".repeat(200)));
    // The argument list stops growing once it reaches 128 bytes; each argument gets what is left.
    assertEquals("ERR unknown command 'foo', with args beginning with: '" + "a".repeat(100)
        + "' '" + "b".repeat(25) + "' ", check("foo", "a".repeat(100), "b".repeat(100), "c"));
    assertEquals("ERR unknown command 'foo  bar', with args beginning with: 'a  b' ",
        check("foo\r\nbar", "a\r\nb"));
    // Redis formats C strings: an argument ends at its first NUL.
    assertEquals("ERR unknown command 'foo', with args beginning with: 'bar' ",
        check("foo", "bar\0baz"));
  }

  @Test
  void subcommandNamesAreNotTopLevelCommands() {
    assertEquals("ERR unknown command 'config|get', with args beginning with: 'k' ",
        check("config|get", "k"));
  }

  @Test
  void wrongArityForFixedAndVariadicCommands() {
    assertEquals("ERR wrong number of arguments for 'get' command", check("get"));
    assertEquals("ERR wrong number of arguments for 'get' command", check("GET", "a", "b"));
    assertEquals("ERR wrong number of arguments for 'set' command", check("Set", "k"));
    assertEquals("ERR wrong number of arguments for 'mset' command", check("mset", "k"));
    assertEquals("ERR wrong number of arguments for 'del' command", check("del"));
    assertEquals("ERR wrong number of arguments for 'multi' command", check("multi", "x"));
    // Any rejected EXEC aborts the transaction, so Redis words its arity error that way too.
    assertEquals("EXECABORT Transaction discarded because of: wrong number of arguments for "
        + "'exec' command", check("EXEC", "x"));
  }

  @Test
  void containerAloneFailsItsOwnArity() {
    assertEquals("ERR wrong number of arguments for 'config' command", check("config"));
    assertEquals("ERR wrong number of arguments for 'object' command", check("OBJECT"));
    assertEquals("ERR wrong number of arguments for 'cluster' command", check("cluster"));
  }

  @Test
  void wrongArityForSubcommandsNamesContainerAndSubcommand() {
    assertEquals("ERR wrong number of arguments for 'config|get' command", check("config", "get"));
    assertEquals("ERR wrong number of arguments for 'config|set' command",
        check("CONFIG", "SET", "a"));
    assertEquals("ERR wrong number of arguments for 'object|encoding' command",
        check("object", "encoding"));
    assertEquals("ERR wrong number of arguments for 'client|setinfo' command",
        check("client", "setinfo", "LIB-NAME"));
    assertEquals("ERR wrong number of arguments for 'command|getkeys' command",
        check("command", "getkeys", "get"));
    assertEquals("ERR wrong number of arguments for 'config|help' command",
        check("config", "help", "x"));
  }

  @Test
  void unknownSubcommandPointsAtContainerHelpInUpperCase() {
    assertEquals("ERR unknown subcommand 'foo'. Try CONFIG HELP.", check("config", "foo"));
    assertEquals("ERR unknown subcommand 'Foo'. Try CONFIG HELP.", check("Config", "Foo", "x"));
    assertEquals("ERR unknown subcommand 'foo'. Try OBJECT HELP.", check("object", "foo", "k"));
    assertEquals("ERR unknown subcommand 'foo'. Try COMMAND HELP.", check("command", "foo"));
    // Redis 7.0 has it; Keyshard does not declare it yet.
    assertEquals("ERR unknown subcommand 'getkeysandflags'. Try COMMAND HELP.",
        check("command", "getkeysandflags", "get", "k"));
    assertEquals("ERR unknown subcommand 'links'. Try CLUSTER HELP.",
        check("cluster", "links"));
    assertEquals("ERR unknown subcommand '" + "y".repeat(128) + "'. Try CLIENT HELP.",
        check("client", "y".repeat(300)));
  }

  @Test
  void lookupIgnoresCaseAndResolvesSubcommands() {
    CommandSpec get = table.lookup("get".getBytes(StandardCharsets.UTF_8));
    assertSame(get, table.lookup("GeT".getBytes(StandardCharsets.UTF_8)));
    assertEquals("get", get.fullName());
    assertNull(table.lookup("config|get".getBytes(StandardCharsets.UTF_8)));
    assertEquals("config|get", table.resolve(argv("CONFIG", "gEt", "x")).fullName());
    assertEquals("config", table.resolve(argv("config")).fullName());
    assertNull(table.resolve(argv("config", "nosuch")));
    assertNull(table.resolve(argv("nosuch")));
    assertEquals("command", table.resolve(argv("command")).fullName());
    assertSame(table.lookupFullName("config|get"), table.lookupFullName("CONFIG|GET"));
    assertNull(table.lookupFullName("get|x"));
    assertNull(table.lookupFullName(""));
  }
}
