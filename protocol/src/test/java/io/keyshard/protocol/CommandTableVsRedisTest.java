package io.keyshard.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Differential test: a real Redis 7.0 (redis-server on PATH, or $REDIS_SERVER) and our table must
 * agree on every command we declare, structurally, with RESP3 types kept (a Set where Redis sends
 * a set, a Map where it sends a map, a status string where it sends one). Sets compare as sets;
 * container subcommands compare by name, ours being a subset of Redis's. No redis-server is a
 * failure, not a skip: the table's facts are only as good as this comparison.
 */
class CommandTableVsRedisTest {
  /** Redis 7.0 has no CLIENT SETINFO; we declare it as 7.2 does and check that separately. */
  private static final String SETINFO = "client|setinfo";
  /** Declared by Keyshard, absent from Redis 7.0: CLIENT SETINFO, Valkey 9's slot migration, KEYSHARD. */
  private static final Set<String> NOT_IN_70 =
      Set.of(SETINFO, "cluster|migrateslots", "cluster|getslotmigrations", "cluster|cancelslotmigrations",
          "keyshard", "keyshard|digests", "keyshard|keydigests", "keyshard|hold", "keyshard|release", "keyshard|changed",
          "keyshard|help");

  private static final CommandTable TABLE = CommandTable.standard();
  private static Process redis;
  private static Path dir;
  private static Resp3 conn;

  @BeforeAll
  static void startRedis() throws Exception {
    String binary = System.getenv().getOrDefault("REDIS_SERVER", "redis-server");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    dir = Files.createTempDirectory("keyshard-redis-ref");
    try {
      redis = new ProcessBuilder(binary, "--port", String.valueOf(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", dir.toString())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("redis.log").toFile())
          .start();
    } catch (IOException e) {
      fail("reference Redis 7.0 is required: cannot start '" + binary + "': " + e.getMessage());
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      try {
        conn = new Resp3(new Socket("127.0.0.1", port));
        break;
      } catch (IOException e) {
        if (!redis.isAlive() || System.nanoTime() > deadline) {
          fail("redis-server did not come up: " + Files.readString(dir.resolve("redis.log")));
        }
        Thread.sleep(50);
      }
    }
    Object hello = conn.call("HELLO", "3");
    @SuppressWarnings("unchecked")
    Map<Object, Object> server = (Map<Object, Object>) hello;
    assertTrue(String.valueOf(server.get("version")).startsWith("7.0."),
        "reference must be Redis 7.0, got " + server.get("version"));
  }

  @AfterAll
  static void stopRedis() throws Exception {
    if (conn != null) conn.close();
    if (redis != null) {
      redis.destroy();
      redis.waitFor();
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void commandInfoMatchesRedisForEveryCommand() throws IOException {
    for (CommandSpec spec : TABLE.all()) {
      if (NOT_IN_70.contains(spec.fullName())) continue;
      List<?> theirs = (List<?>) ((List<?>) conn.call("COMMAND", "INFO", spec.name())).get(0);
      assertNotNull(theirs, "Redis does not know " + spec.name());
      List<?> ours = (List<?>) norm(CommandDocs.info(spec));
      assertInfoEquals(theirs, ours, spec.fullName());
    }
  }

  /** Elements 0..8 compare as they are; subcommands (element 9) by name. */
  private static void assertInfoEquals(List<?> theirs, List<?> ours, String name) {
    assertEquals(10, ours.size(), name);
    assertEquals(theirs.subList(0, 9), ours.subList(0, 9), "COMMAND INFO " + name);
    if (ours.get(9) instanceof Set<?> none) {
      assertTrue(none.isEmpty(), name);
      assertEquals(Set.of(), theirs.get(9), "subcommands of " + name);
      return;
    }
    Map<Object, List<?>> theirSubs = byName((List<?>) theirs.get(9));
    for (Object o : (List<?>) ours.get(9)) {
      List<?> sub = (List<?>) o;
      if (NOT_IN_70.contains(sub.get(0))) continue;
      List<?> their = theirSubs.get(sub.get(0));
      assertNotNull(their, "Redis 7.0 has no " + sub.get(0));
      assertInfoEquals(their, sub, (String) sub.get(0));
    }
  }

  @Test
  void clientSetinfoIsDeclaredAsRedis72HasIt() {
    CommandSpec setinfo = TABLE.lookupFullName(SETINFO);
    assertEquals(List.of(SETINFO, 4L, Set.of(s("noscript"), s("loading"), s("stale")), 0L, 0L, 0L,
        Set.of(s("@slow"), s("@connection")), Set.of(), Set.of(), Set.of()),
        norm(CommandDocs.info(setinfo)));
    assertEquals(Map.of("summary", "Sets information specific to the client or connection.",
        "since", "7.2.0", "group", "connection", "complexity", "O(1)"),
        norm(CommandDocs.docs(setinfo)));
  }

  @Test
  void commandDocsMatchRedisForEveryCommandExceptArguments() throws IOException {
    for (CommandSpec spec : TABLE.all()) {
      if (NOT_IN_70.contains(spec.fullName())) continue;
      Map<?, ?> theirs = (Map<?, ?>) conn.call("COMMAND", "DOCS", spec.name());
      Object their = withoutArguments(theirs.get(spec.name()));
      assertNotNull(their, "Redis has no docs for " + spec.name());
      Map<?, ?> ours = (Map<?, ?>) norm(CommandDocs.docs(spec));
      if (spec.isContainer()) {
        Map<?, ?> theirSubs = (Map<?, ?>) ((Map<?, ?>) their).get("subcommands");
        Map<Object, Object> kept = new LinkedHashMap<>();
        for (CommandSpec sub : spec.subcommands()) {
          if (NOT_IN_70.contains(sub.fullName())) {
            kept.put(sub.fullName(), ((Map<?, ?>) ours.get("subcommands")).get(sub.fullName()));
          } else {
            assertNotNull(theirSubs.get(sub.fullName()), "Redis 7.0 has no " + sub.fullName());
            kept.put(sub.fullName(), theirSubs.get(sub.fullName()));
          }
        }
        ((Map<Object, Object>) their).put("subcommands", kept);
      }
      assertEquals(their, ours, "COMMAND DOCS " + spec.name());
    }
  }

  @Test
  void commandInfoAndDocsWithNamesMatchRedis() throws IOException {
    String[] names = {"get", "nosuch", "CONFIG|GET", "get|x", "config|nosuch", "Set", "",
        "object|encoding", "config|get|x", "getset", "mset"};
    List<Object> info = new ArrayList<>(List.of("COMMAND", "INFO"));
    info.addAll(List.of(names));
    assertEquals(conn.call(info.toArray()), norm(TABLE.command(argv(info.toArray()))));

    List<Object> docs = new ArrayList<>(List.of("COMMAND", "DOCS"));
    docs.addAll(List.of(names));
    assertEquals(withoutArguments(conn.call(docs.toArray())),
        norm(TABLE.command(argv(docs.toArray()))));
  }

  @Test
  void wrongArityErrorsMatchRedisForEveryCommandAndSubcommand() throws IOException {
    int compared = 0;
    for (CommandSpec spec : TABLE.all()) {
      List<CommandSpec> specs = spec.isContainer() ? spec.subcommands() : List.of(spec);
      for (CommandSpec s : specs) {
        if (NOT_IN_70.contains(s.fullName())) continue;
        List<String> prefix = Arrays.asList(s.fullName().split("\\|"));
        for (int argc : wrongArgcs(s.arity(), prefix.size())) {
          List<Object> argv = new ArrayList<>(prefix);
          while (argv.size() < argc) argv.add("x");
          Object theirs = conn.call(argv.toArray());
          assertTrue(theirs instanceof ErrorText, argv + " was accepted by Redis");
          assertEquals(theirs, norm(TABLE.check(argv(argv.toArray()))), "check " + argv);
          compared++;
        }
      }
    }
    assertTrue(compared > 60, "too few arity cases: " + compared);
  }

  /** Argument counts that the arity rejects, never fewer than the name (and subcommand). */
  private static List<Integer> wrongArgcs(int arity, int minimum) {
    List<Integer> argcs = new ArrayList<>();
    if (arity > 0) {
      if (arity - 1 >= minimum) argcs.add(arity - 1);
      argcs.add(arity + 1);
    } else if (-arity - 1 >= minimum) {
      argcs.add(-arity - 1);
    }
    return argcs;
  }

  @Test
  void unknownCommandAndSubcommandErrorsMatchRedis() throws IOException {
    List<Object[]> cases = List.of(
        new Object[] {"foo"},
        new Object[] {"foo", "a", "b"},
        new Object[] {"foo\r\nbar", "a\r\nb", "c d", "\n"},
        new Object[] {"x".repeat(200), "a".repeat(200)},
        new Object[] {"foo", "a".repeat(100), "b".repeat(100)},
        new Object[] {"foo", "a".repeat(60), "b".repeat(60), "c", "d"},
        new Object[] {"foo", "a".repeat(126), "b"},
        new Object[] {"foo", "a".repeat(124), "b", "c"},
        new Object[] {"foo", "bar\0baz", "q"},
        new Object[] {"fo\0o", "x"},
        new Object[] {"getx", "k"},
        new Object[] {"get|x", "k"},
        new Object[] {"config|get", "k"},
        new Object[] {"", "k"},
        new Object[] {"config", "foo"},
        new Object[] {"Config", "Foo", "bar"},
        new Object[] {"OBJECT", "x".repeat(200), "k"},
        new Object[] {"client", "set\r\ninfo"},
        new Object[] {"command", "nosuch"},
        new Object[] {"cluster", "foo"},
        new Object[] {"config", "get|x", "k"},
        new Object[] {"object", "", "k"});
    for (Object[] argv : cases) {
      Object theirs = conn.call(argv);
      assertTrue(theirs instanceof ErrorText, Arrays.toString(argv));
      assertEquals(theirs, norm(TABLE.check(argv(argv))), Arrays.toString(argv));
    }
  }

  @Test
  void commandGetKeysMatchesRedis() throws IOException {
    List<Object[]> cases = List.of(
        new Object[] {"get", "a"},
        new Object[] {"mset", "a", "1", "b", "2"},
        new Object[] {"mset", "a", "1", "b"},
        new Object[] {"msetnx", "a", "1", "b", "2"},
        new Object[] {"del", "a", "b", "c"},
        new Object[] {"exists", "a"},
        new Object[] {"rename", "a", "b"},
        new Object[] {"copy", "a", "b", "DB", "1", "REPLACE"},
        new Object[] {"object", "encoding", "k"},
        new Object[] {"OBJECT", "FREQ", "k"},
        new Object[] {"lcs", "a", "b", "LEN"},
        new Object[] {"set", "k", "v", "GET"},
        new Object[] {"getex", "k", "PERSIST"},
        new Object[] {"watch", "a", "b"},
        new Object[] {"move", "k", "1"},
        new Object[] {"migrate", "h", "1", "k", "0", "5"},
        new Object[] {"migrate", "h", "1", "", "0", "5", "REPLACE", "AUTH2", "u", "KEYS", "KEYS", "a", "b"},
        new Object[] {"migrate", "h", "1", "k", "0", "5", "KEYS", "a"},
        new Object[] {"asking"},
        new Object[] {"config", "get", "k"},
        new Object[] {"ping", "x"},
        new Object[] {"object", "foo", "k"},
        new Object[] {"nosuch", "a"},
        new Object[] {"get", "a", "b"},
        new Object[] {"object", "encoding"},
        new Object[] {"Get"});
    for (Object[] target : cases) {
      List<Object> argv = new ArrayList<>(List.of("COMMAND", "GETKEYS"));
      argv.addAll(List.of(target));
      assertEquals(conn.call(argv.toArray()), norm(TABLE.command(argv(argv.toArray()))),
          argv.toString());
    }
  }

  @Test
  void commandListFiltersMatchRedisRestrictedToOurCommands() throws IOException {
    Set<Object> ourNames = new HashSet<>((List<?>) norm(TABLE.command(argv("COMMAND", "LIST"))));
    ourNames.removeAll(NOT_IN_70);
    assertTrue(((List<?>) conn.call("COMMAND", "LIST")).containsAll(ourNames));
    List<String[]> filters = List.of(
        new String[] {"aclcat", "string"}, new String[] {"ACLCAT", "Keyspace"},
        new String[] {"aclcat", "connection"}, new String[] {"aclcat", "transaction"},
        new String[] {"aclcat", "dangerous"}, new String[] {"aclcat", "slow"},
        new String[] {"aclcat", "admin"}, new String[] {"aclcat", "@string"},
        new String[] {"aclcat", "nosuch"}, new String[] {"pattern", "*get*"},
        new String[] {"pattern", "CONFIG|*"}, new String[] {"pattern", "[a-c]*"},
        new String[] {"pattern", "?et"}, new String[] {"pattern", "*\\|*"},
        new String[] {"pattern", "[^a-m]*x*"}, new String[] {"pattern", "client|[gs]et*"},
        new String[] {"module", "x"});
    for (String[] f : filters) {
      List<?> theirs = (List<?>) conn.call("COMMAND", "LIST", "FILTERBY", f[0], f[1]);
      Set<Object> expected = new TreeSet<>();
      for (Object n : theirs) if (ourNames.contains(n)) expected.add(n);
      List<?> ours = (List<?>) norm(TABLE.command(argv("COMMAND", "LIST", "FILTERBY", f[0], f[1])));
      Set<Object> oursBut72 = new TreeSet<>(ours);
      oursBut72.removeAll(NOT_IN_70);
      assertEquals(expected, oursBut72, Arrays.toString(f));
      assertEquals(ours.size(), new HashSet<>(ours).size(), "duplicates for " + Arrays.toString(f));
    }
    for (Object[] bad : List.<Object[]>of(
        new Object[] {"COMMAND", "LIST", "foo"},
        new Object[] {"COMMAND", "LIST", "FILTERBY", "pattern"},
        new Object[] {"COMMAND", "LIST", "FILTERBY", "nosuch", "x"},
        new Object[] {"COMMAND", "LIST", "FILTERBY", "pattern", "x", "FILTERBY", "pattern", "y"},
        new Object[] {"COMMAND", "LIST", "FILTERBY", "pattern", "x", "y"})) {
      assertEquals(conn.call(bad), norm(TABLE.command(argv(bad))), Arrays.toString(bad));
    }
  }

  @Test
  void commandHelpIsRedisMinusGetkeysandflags() throws IOException {
    List<Object> theirs = new ArrayList<>((List<?>) conn.call("COMMAND", "HELP"));
    int at = theirs.indexOf(s("GETKEYSANDFLAGS <full-command>"));
    assertTrue(at > 0, "Redis's help changed: " + theirs);
    theirs.subList(at, at + 2).clear();
    assertEquals(theirs, norm(TABLE.command(argv("COMMAND", "HELP"))));
  }

  @Test
  void commandCountAndSubcommandArityErrorsMatchRedisShapes() throws IOException {
    assertEquals(conn.call("COMMAND", "COUNT", "x"),
        norm(TABLE.command(argv("COMMAND", "COUNT", "x"))));
    assertEquals(conn.call("COMMAND", "GETKEYS", "get"),
        norm(TABLE.command(argv("COMMAND", "GETKEYS", "get"))));
    assertEquals(conn.call("command", "info", "nosuch"),
        norm(TABLE.command(argv("command", "info", "nosuch"))));
    assertEquals(conn.call("command", "docs", "nosuch"),
        norm(TABLE.command(argv("command", "docs", "nosuch"))));
  }

  // ---------------------------------------------------------------------------------------------
  // A comparable form for both sides: RESP3 types kept, sets as sets, maps as maps.

  /** A RESP simple (status) string, kept apart from bulk strings. */
  record Status(String text) {}

  /** An error reply's text. */
  record ErrorText(String text) {}

  /** RESP3 null (RESP2 null bulk and null array). */
  enum Nil { NIL }

  static Status s(String text) {
    return new Status(text);
  }

  static Object norm(Reply r) {
    if (r instanceof Reply.Simple x) return new Status(x.text());
    if (r instanceof Reply.Error x) return new ErrorText(x.text());
    if (r instanceof Reply.Int x) return x.value();
    if (r instanceof Reply.Bulk x) return new String(x.value(), StandardCharsets.UTF_8);
    if (r instanceof Reply.Null || r instanceof Reply.NullArray) return Nil.NIL;
    if (r instanceof Reply.Array x) return x.items().stream().map(CommandTableVsRedisTest::norm)
        .collect(Collectors.toList());
    if (r instanceof Reply.Set x) return x.items().stream().map(CommandTableVsRedisTest::norm)
        .collect(Collectors.toSet());
    if (r instanceof Reply.Map x) {
      Map<Object, Object> m = new LinkedHashMap<>();
      for (int i = 0; i < x.keysAndValues().size(); i += 2) {
        m.put(norm(x.keysAndValues().get(i)), norm(x.keysAndValues().get(i + 1)));
      }
      return m;
    }
    throw new AssertionError("unexpected reply type " + r);
  }

  /** COMMAND DOCS as Redis sends it, minus the "arguments" trees we do not declare. */
  @SuppressWarnings("unchecked")
  static Object withoutArguments(Object docs) {
    if (!(docs instanceof Map<?, ?> m)) return docs;
    Map<Object, Object> copy = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (e.getKey().equals("arguments")) continue;
      copy.put(e.getKey(), withoutArguments(e.getValue()));
    }
    return copy;
  }

  private static Map<Object, List<?>> byName(List<?> infos) {
    return infos.stream().map(o -> (List<?>) o)
        .collect(Collectors.toMap(l -> l.get(0), Function.identity()));
  }

  static byte[][] argv(Object... args) {
    byte[][] out = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      out[i] = ((String) args[i]).getBytes(StandardCharsets.UTF_8);
    }
    return out;
  }

  /** Just enough of a RESP3 client: send a command, read one reply into the comparable form. */
  static final class Resp3 implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    Resp3(Socket socket) throws IOException {
      this.socket = socket;
      socket.setSoTimeout(10_000);
      this.out = socket.getOutputStream();
      this.in = new BufferedInputStream(socket.getInputStream());
    }

    Object call(Object... args) throws IOException {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      buf.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (byte[] a : argv(args)) {
        buf.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        buf.writeBytes(a);
        buf.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write(buf.toByteArray());
      out.flush();
      return read();
    }

    private Object read() throws IOException {
      int type = in.read();
      String line = line();
      switch (type) {
        case '+':
          return new Status(line);
        case '-':
          return new ErrorText(line);
        case ':':
          return Long.parseLong(line);
        case '_':
          return Nil.NIL;
        case '#':
          return line.equals("t");
        case '$': {
          int n = Integer.parseInt(line);
          if (n < 0) return Nil.NIL;
          byte[] b = in.readNBytes(n);
          line();
          return new String(b, StandardCharsets.UTF_8);
        }
        case '*': {
          int n = Integer.parseInt(line);
          if (n < 0) return Nil.NIL;
          List<Object> items = new ArrayList<>();
          for (int i = 0; i < n; i++) items.add(read());
          return items;
        }
        case '~': {
          Set<Object> items = new HashSet<>();
          int n = Integer.parseInt(line);
          for (int i = 0; i < n; i++) items.add(read());
          assertEquals(n, items.size(), "duplicate set members from Redis");
          return items;
        }
        case '%': {
          Map<Object, Object> m = new LinkedHashMap<>();
          int n = Integer.parseInt(line);
          for (int i = 0; i < n; i++) m.put(read(), read());
          return m;
        }
        default:
          throw new IOException("unexpected RESP type '" + (char) type + "' " + line);
      }
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) != '\r') {
        if (c < 0) throw new IOException("connection closed");
        b.write(c);
      }
      in.read();
      return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
