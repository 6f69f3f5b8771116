package io.keyshard.node.scripting;

import io.keyshard.protocol.Reply;
import io.keyshard.protocol.RespWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.LuaException;
import party.iroiro.luajava.lua51.Lua51;

/**
 * One Lua 5.1 state (the real one, through LuaJava: docs/decisions/2026-12-07-lua-engine-options.md)
 * with Redis 7.0's sandbox, and the conversions between Lua values and replies both ways
 * (docs/research/2026-12-07-redis-7.0-lua-facts.md, sections 1 to 3). Not thread-safe: one
 * thread at a time runs it, never a Pekko dispatcher thread. What a script's {@code redis.call}
 * runs is the caller's {@link Commands}.
 */
public final class LuaEngine implements AutoCloseable {
  /** Runs one command for a script and answers its reply, RESP3-shaped where it has a choice. */
  public interface Commands {
    Reply call(byte[][] argv);

    /** redis.acl_check_cmd: 1 if the user may run {@code argv}, 0 if not, or an error reply. */
    default Reply aclCheck(byte[][] argv) {
      return Reply.integer(1);
    }
  }

  /** A script error that is the reply as it is (compile errors, NOSCRIPT). */
  public static final class ScriptError extends Exception {
    public ScriptError(String message) {
      super(message);
    }
  }

  /** Deeper than this a returned table is cut with an error element, as Redis's stack limit does. */
  private static final int MAX_DEPTH = 1000;

  private final Lua lua;
  private final int runner;
  /** string.format, for numbers given to redis.call (C's %.17g, as Redis formats them). */
  private final int format;
  private final Map<String, Integer> scripts = new HashMap<>();
  /** cjson's settings live until SCRIPT FLUSH, as in Redis (which rebuilds its Lua state then). */
  private final LuaCjson cjson;
  /** math.random's state: one per engine (Redis: one per process), never reseeded by a script run. */
  private final LuaRandom random = new LuaRandom();
  private Commands commands;
  private volatile boolean killRequested;
  /** While a library loads: when its load run is stopped (Redis's 500 ms FUNCTION LOAD limit); 0 otherwise. */
  private long loadDeadline;

  /** The load run in progress was stopped by the limit (its error becomes Redis's timeout). */
  private boolean loadExpired;

  private static final long LOAD_LIMIT_NANOS = 500_000_000L;

  private boolean loadTimedOut() {
    return loadDeadline != 0 && System.nanoTime() - loadDeadline > 0;
  }

  public LuaEngine() {
    lua = new Lua51();
    lua.openLibraries();
    // The libraries Redis adds, before the prelude seals the globals.
    LuaLib lib = new LuaLib(lua);
    random.install(lua, lib);
    cjson = new LuaCjson(lib);
    cjson.install(lua);
    LuaCmsgpack.install(lua, lib);
    LuaBit.install(lua, lib);
    LuaStruct.install(lua, lib);
    lua.push(l -> luaCall(l, true));
    lua.setGlobal("__ks_call");
    lua.push(l -> luaCall(l, false));
    lua.setGlobal("__ks_pcall");
    lua.getGlobal("string");
    lua.getField(-1, "format");
    format = lua.ref();
    lua.pop(1);
    lua.push(l -> {
      if (loadTimedOut()) {
        loadExpired = true;
      }
      l.push(killRequested || (loadDeadline != 0 && loadExpired));
      return 1;
    });
    lua.setGlobal("__ks_hook");
    lua.push(this::aclCheck);
    lua.setGlobal("__ks_acl");
    lua.push(LuaEngine::sha1hex);
    lua.setGlobal("__ks_sha1hex");
    lua.push(LuaEngine::log);
    lua.setGlobal("__ks_log");
    try (InputStream in = LuaEngine.class.getResourceAsStream("/keyshard-lua-prelude.lua")) {
      byte[] code = in.readAllBytes();
      lua.load(direct(code), "=keyshard-prelude");
      lua.pCall(0, 1);
    } catch (IOException | LuaException | NullPointerException e) {
      lua.close();
      throw new IllegalStateException("the Lua sandbox did not load", e);
    }
    runner = lua.ref();
    fnLoad = globalRef("__ks_fn_load");
    fnCall = globalRef("__ks_fn_call");
  }

  /** The prelude's entry points for function libraries, taken out of the globals. */
  private final int fnLoad;

  private final int fnCall;

  private int globalRef(String name) {
    lua.getGlobal(name);
    int ref = lua.ref();
    lua.pushNil();
    lua.setGlobal(name);
    return ref;
  }

  /**
   * FUNCTION LOAD's work in Lua: compiles a library's code (after its metadata line) and runs it,
   * collecting what it registers. Redis 7.0's errors; nothing stays referenced on failure.
   */
  public List<Functions.Function> compileLibrary(Functions.Metadata meta) throws ScriptError {
    int top = lua.getTop();
    try {
      try {
        lua.load(direct(meta.body()), "@user_function");
      } catch (LuaException e) {
        throw new ScriptError("ERR Error compiling function: " + e.getMessage());
      }
      int chunk = lua.getTop();
      lua.refGet(fnLoad);
      lua.pushValue(chunk);
      killRequested = false;
      loadExpired = false;
      loadDeadline = System.nanoTime() + LOAD_LIMIT_NANOS;
      try {
        lua.pCall(1, 2);
      } finally {
        loadDeadline = 0;
      }
      int result = lua.getTop();
      if (!lua.toBoolean(result - 1)) {
        throw new ScriptError(
            "ERR Error registering functions: " + (loadExpired ? "ERR FUNCTION LOAD timeout" : field(result, "err")));
      }
      List<Functions.Function> registered = new ArrayList<>();
      int n = (int) lua.rawLength(result);
      if (n == 0) {
        throw new ScriptError("ERR No functions registered");
      }
      for (int i = 1; i <= n; i++) {
        lua.rawGetI(result, i);
        int entry = lua.getTop();
        String name = field(entry, "name");
        lua.getField(entry, "description");
        String description = lua.type(-1) == Lua.LuaType.STRING ? lua.toString(-1) : null;
        lua.pop(1);
        java.util.Set<String> flags = new java.util.HashSet<>();
        lua.getField(entry, "flags");
        int fl = lua.getTop();
        for (int j = 1; j <= lua.rawLength(fl); j++) {
          lua.rawGetI(fl, j);
          flags.add(lua.toString(-1));
          lua.pop(1);
        }
        lua.pop(1);
        lua.getField(entry, "fn");
        int ref = lua.ref();
        registered.add(new Functions.Function(name, meta.name(), ref, description, java.util.Set.copyOf(flags)));
        lua.pop(1);
      }
      return registered;
    } catch (LuaException e) {
      throw new ScriptError("ERR Error registering functions: " + e.getMessage());
    } finally {
      lua.setTop(top);
    }
  }

  /** Lets go of a replaced or deleted library's functions. */
  public void dropFunctions(List<Functions.Function> fns) {
    for (Functions.Function f : fns) {
      lua.unref(f.ref());
    }
  }

  /** FCALL: runs a registered function with its keys and arguments, as {@link #run} runs a script. */
  public Reply callFunction(Functions.Function fn, List<byte[]> keys, List<byte[]> args, Commands commands) {
    this.commands = commands;
    this.killRequested = false;
    int top = lua.getTop();
    try {
      lua.refGet(fnCall);
      lua.refGet(fn.ref());
      pushLiteral(stringsLiteral(keys));
      pushLiteral(stringsLiteral(args));
      lua.pCall(3, 2);
      return outcome(fn.name(), "@user_function");
    } catch (LuaException e) {
      return Reply.error("ERR " + e.getMessage() + " script: " + fn.name() + ", on @user_function:0.");
    } finally {
      lua.setTop(top);
      this.commands = null;
    }
  }

  /** After a run: its reply, or its error in 7.0's form ({@code <msg> script: <name>, on <source>:<line>.}). */
  private Reply outcome(String name, String defaultSource) {
    boolean ok = lua.toBoolean(-2);
    if (ok) {
      return toReply(lua.getTop(), luaResp(), 0);
    }
    int e = lua.getTop();
    String msg = field(e, "err");
    String source = field(e, "source");
    lua.getField(e, "line");
    long line = lua.toInteger(-1);
    lua.pop(1);
    return Reply.error(msg + " script: " + name + ", on " + (source.isEmpty() ? defaultSource : source) + ":" + line + ".");
  }

  /** redis.sha1hex(s): of a string or a number's text; anything else hashes as "". */
  private static int sha1hex(Lua l) {
    if (l.getTop() != 1) {
      l.newTable();
      l.push("ERR wrong number of arguments");
      l.setField(-2, "err");
      return -1;
    }
    Lua.LuaType t = l.type(1);
    byte[] text = t == Lua.LuaType.STRING || t == Lua.LuaType.NUMBER ? bytes(l.toBuffer(1)) : new byte[0];
    l.push(sha1(text));
    return 1;
  }

  private static final org.slf4j.Logger scriptLog = org.slf4j.LoggerFactory.getLogger("io.keyshard.script");

  /** redis.log(level, text) after the prelude's checks: the node's log, at the matching level. */
  private static int log(Lua l) {
    int level = (int) l.toInteger(1);
    String text = l.toString(2);
    switch (level) {
      case 0 -> scriptLog.debug("{}", text);
      case 1 -> scriptLog.info("{}", text);
      case 2 -> scriptLog.info("{}", text);
      default -> scriptLog.warn("{}", text);
    }
    return 0;
  }

  /** The SHA-1 Redis names a script by: lowercase hex of its body. */
  public static String sha1(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The shebang flags Redis 7.0 knows, in the order FUNCTION LIST prints them. */
  public static final List<String> FLAGS = List.of("no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys");

  /**
   * A compiled script's flags: {@code shebang} is false for a script without {@code #!lua}
   * (Redis's compatibility mode, where the flags do not apply).
   */
  public record Flags(boolean shebang, java.util.Set<String> names) {
    public static final Flags NONE = new Flags(false, java.util.Set.of());

    public boolean has(String flag) {
      return names.contains(flag);
    }
  }

  private final Map<String, Flags> flags = new HashMap<>();

  /** Compiles and caches {@code body} (SCRIPT LOAD, EVAL); answers its SHA-1. */
  public String load(byte[] body) throws ScriptError {
    String sha = sha1(body);
    if (scripts.containsKey(sha)) {
      return sha;
    }
    byte[] code = body;
    Flags parsed = Flags.NONE;
    if (code.length >= 2 && code[0] == '#' && code[1] == '!') {
      // The shebang line goes, its newline stays (line numbers count it).
      int nl = indexOf(code, (byte) '\n');
      if (nl < 0) {
        throw new ScriptError("ERR Invalid script shebang");
      }
      parsed = shebang(new String(code, 0, nl, StandardCharsets.UTF_8));
      byte[] rest = new byte[code.length - nl];
      System.arraycopy(code, nl, rest, 0, rest.length);
      code = rest;
    }
    try {
      lua.load(direct(code), "@user_script");
    } catch (LuaException e) {
      lua.setTop(0);
      throw new ScriptError("ERR Error compiling script (new function): " + e.getMessage());
    }
    scripts.put(sha, lua.ref());
    flags.put(sha, parsed);
    return sha;
  }

  /** The flags of a cached script (null if it is not cached). */
  public Flags flags(String sha) {
    return flags.get(sha.toLowerCase(java.util.Locale.ROOT));
  }

  /** {@code #!lua [flags=a,b]}: split as redis-cli splits a line, Redis's errors for the rest. */
  static Flags shebang(String line) throws ScriptError {
    byte[] raw = line.getBytes(StandardCharsets.UTF_8);
    byte[][] words = io.keyshard.protocol.InlineSplitter.split(raw, 0, raw.length);
    List<String> parts = words == null ? null : java.util.Arrays.stream(words).map(w -> new String(w, StandardCharsets.UTF_8)).toList();
    if (parts == null || parts.isEmpty() || !parts.get(0).equals("#!lua")) {
      throw new ScriptError("ERR Unexpected engine in script shebang: " + (parts == null || parts.isEmpty() ? line : parts.get(0)));
    }
    java.util.Set<String> names = new java.util.LinkedHashSet<>();
    for (String p : parts.subList(1, parts.size())) {
      if (!p.startsWith("flags=")) {
        throw new ScriptError("ERR Unknown lua shebang option: " + p);
      }
      for (String f : p.substring("flags=".length()).split(",", -1)) {
        if (f.isEmpty()) {
          continue;
        }
        if (!FLAGS.contains(f)) {
          throw new ScriptError("ERR Unexpected flag in script shebang: " + f);
        }
        names.add(f);
      }
    }
    return new Flags(true, java.util.Set.copyOf(names));
  }

  public boolean exists(String sha) {
    return scripts.containsKey(sha.toLowerCase(java.util.Locale.ROOT));
  }

  /** SCRIPT FLUSH: every cached script is forgotten, cjson's settings are the defaults again. */
  public void flush() {
    for (int ref : scripts.values()) {
      lua.unref(ref);
    }
    scripts.clear();
    flags.clear();
    cjson.reset();
  }

  public int cached() {
    return scripts.size();
  }

  /** SCRIPT KILL: the running script stops at its next hook, and at every line after it. */
  public void kill() {
    killRequested = true;
  }

  /**
   * Runs the cached script {@code sha} with {@code keys} and {@code args}; its reply, which the
   * caller's protocol renders (nulls and booleans).
   */
  public Reply run(String sha, List<byte[]> keys, List<byte[]> args, Commands commands)
      throws ScriptError {
    Integer fn = scripts.get(sha.toLowerCase(java.util.Locale.ROOT));
    if (fn == null) {
      throw new ScriptError(new io.keyshard.node.route.Verdict.NoScript().text());
    }
    this.commands = commands;
    this.killRequested = false;
    int top = lua.getTop();
    try {
      lua.refGet(runner);
      lua.refGet(fn);
      pushLiteral(stringsLiteral(keys));
      pushLiteral(stringsLiteral(args));
      lua.pCall(3, 2);
      return outcome(sha, "@user_script");
    } catch (LuaException e) {
      return Reply.error("ERR " + e.getMessage() + " script: " + sha + ", on @user_script:0.");
    } finally {
      lua.setTop(top);
      this.commands = null;
    }
  }

  private int luaResp() {
    lua.getGlobal("__ks_resp");
    int v = (int) lua.toInteger(-1);
    lua.pop(1);
    return v == 3 ? 3 : 2;
  }

  private String field(int index, String name) {
    lua.getField(index, name);
    ByteBuffer b = lua.toBuffer(-1);
    lua.pop(1);
    return b == null ? "" : StandardCharsets.UTF_8.decode(b).toString();
  }

  /**
   * redis.call ({@code raise}) and redis.pcall: the arguments on the stack, strings as they are and
   * numbers as C's %.17g; pushes the reply's Lua value. An error reply is raised as its table by
   * redis.call (returning -1 makes LuaJava raise the value on top) and returned by redis.pcall.
   */
  private int luaCall(Lua l, boolean raise) {
    Object args = arguments(l);
    if (args instanceof String err) {
      return error(l, err, raise);
    }
    byte[][] argv = (byte[][]) args;
    l.setTop(0); // the arguments are read: their stack slots are free for the reply (8,000 of them fit)
    Reply r = commands == null
        ? Reply.error("ERR redis.call/pcall can only be called inside a script invocation")
        : commands.call(argv);
    if (r instanceof Reply.Error e) {
      return error(l, e.text(), raise);
    }
    StringBuilder sb = new StringBuilder("return ");
    literal(sb, r, luaResp(), true);
    pushLiteral(sb.toString());
    return 1;
  }

  /**
   * A redis lib call's arguments as a command: strings as they are, numbers as C's %.17g (in
   * Java, so that 8,000 arguments need no more Lua stack); or the error text for anything else.
   */
  private static Object arguments(Lua l) {
    int n = l.getTop();
    if (n == 0) {
      return "ERR Please specify at least one argument for this redis lib call";
    }
    byte[][] argv = new byte[n][];
    for (int i = 1; i <= n; i++) {
      Lua.LuaType t = l.type(i);
      if (t == Lua.LuaType.NUMBER) {
        argv[i - 1] = CNumbers.formatG(l.toNumber(i), 17).getBytes(StandardCharsets.US_ASCII);
      } else if (t == Lua.LuaType.STRING) {
        argv[i - 1] = bytes(l.toBuffer(i));
      } else {
        return "ERR Lua redis lib command arguments must be strings or integers";
      }
    }
    return argv;
  }

  /** redis.acl_check_cmd(cmd, ...): whether the script's user may run it (true/false). */
  private int aclCheck(Lua l) {
    Object args = arguments(l);
    if (args instanceof String err) {
      return error(l, err, true);
    }
    l.setTop(0);
    Reply r = commands == null
        ? Reply.error("ERR redis.acl_check_cmd can only be called inside a script invocation")
        : commands.aclCheck((byte[][]) args);
    if (r instanceof Reply.Error e) {
      return error(l, e.text(), true);
    }
    l.push(r instanceof Reply.Int i && i.value() == 1);
    return 1;
  }

  private int error(Lua l, String text, boolean raise) {
    l.setTop(0);
    l.newTable();
    l.push(text);
    l.setField(-2, "err");
    return raise ? -1 : 1;
  }

  // ---- replies to Lua: one chunk per value, strings as \ddd escapes (LuaJava pushes only text)

  private void pushLiteral(String chunk) {
    try {
      lua.load(direct(chunk.getBytes(StandardCharsets.ISO_8859_1)), "=reply");
      lua.pCall(0, 1);
    } catch (LuaException e) {
      throw new IllegalStateException("a reply could not be turned into a Lua value: " + e.getMessage(), e);
    }
  }

  private static String stringsLiteral(List<byte[]> values) {
    StringBuilder sb = new StringBuilder("return {");
    for (byte[] v : values) {
      string(sb, v);
      sb.append(',');
    }
    return sb.append('}').toString();
  }

  private static void string(StringBuilder sb, byte[] v) {
    sb.append('"');
    for (byte b : v) {
      int c = b & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        sb.append((char) c);
      } else {
        sb.append('\\');
        if (c < 100) {
          sb.append('0');
        }
        if (c < 10) {
          sb.append('0');
        }
        sb.append(c);
      }
    }
    sb.append('"');
  }

  private static void string(StringBuilder sb, String s) {
    string(sb, s.getBytes(StandardCharsets.UTF_8));
  }

  /** A reply as a Lua expression, as Redis converts it for a script speaking {@code resp}. */
  private static void literal(StringBuilder sb, Reply r, int resp, boolean top) {
    if (r instanceof Reply.Simple s) {
      sb.append("{ok=");
      string(sb, s.text());
      sb.append('}');
    } else if (r instanceof Reply.Error e) {
      sb.append("{err=");
      string(sb, e.text());
      sb.append('}');
    } else if (r instanceof Reply.Int i) {
      sb.append(i.value());
    } else if (r instanceof Reply.Bulk b) {
      string(sb, b.value());
    } else if (r instanceof Reply.Null || r instanceof Reply.NullArray) {
      sb.append(resp == 3 && top ? "nil" : "false");
    } else if (r instanceof Reply.Array a) {
      list(sb, a.items(), resp);
    } else if (r instanceof Reply.Push p) {
      list(sb, p.items(), resp);
    } else if (r instanceof Reply.Pairs p) {
      list(sb, p.flattened(), resp);
    } else if (r instanceof Reply.PairMap m && resp == 2) {
      List<Reply> pairs = new java.util.ArrayList<>();
      for (int i = 0; i + 1 < m.keysAndValues().size(); i += 2) {
        pairs.add(new Reply.Array(m.keysAndValues().subList(i, i + 2)));
      }
      list(sb, pairs, resp);
    } else if (r instanceof Reply.PairMap m) {
      literal(sb, new Reply.Map(m.keysAndValues()), resp, top);
    } else if (r instanceof Reply.Map m) {
      if (resp == 2) {
        list(sb, m.keysAndValues(), resp);
      } else {
        sb.append("{map={");
        List<Reply> kv = m.keysAndValues();
        for (int i = 0; i + 1 < kv.size(); i += 2) {
          sb.append('[');
          literal(sb, kv.get(i), resp, false);
          sb.append("]=");
          literal(sb, kv.get(i + 1), resp, false);
          sb.append(',');
        }
        sb.append("}}");
      }
    } else if (r instanceof Reply.Set s) {
      if (resp == 2) {
        list(sb, s.items(), resp);
      } else {
        sb.append("{set={");
        for (Reply e : s.items()) {
          sb.append('[');
          literal(sb, e, resp, false);
          sb.append("]=true,");
        }
        sb.append("}}");
      }
    } else if (r instanceof Reply.Double d) {
      if (resp == 2) {
        string(sb, RespWriter.formatDouble(d.value()));
      } else {
        sb.append("{double=").append(luaNumber(d.value())).append('}');
      }
    } else if (r instanceof Reply.Bool b) {
      sb.append(resp == 2 ? (b.value() ? "1" : "0") : (b.value() ? "true" : "false"));
    } else if (r instanceof Reply.Verbatim v) {
      if (resp == 2) {
        string(sb, v.text());
      } else {
        sb.append("{verbatim_string={format=");
        string(sb, v.format());
        sb.append(",string=");
        string(sb, v.text());
        sb.append("}}");
      }
    } else {
      sb.append("false");
    }
  }

  private static void list(StringBuilder sb, List<Reply> items, int resp) {
    sb.append('{');
    for (Reply e : items) {
      literal(sb, e, resp, false);
      sb.append(',');
    }
    sb.append('}');
  }

  private static String luaNumber(double d) {
    if (Double.isNaN(d)) {
      return "(0/0)";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "(1/0)" : "(-1/0)";
    }
    return Double.toString(d);
  }

  // ---- Lua to replies: what the script returned, read with raw gets only

  private Reply toReply(int index, int luaResp, int depth) {
    if (depth > MAX_DEPTH) {
      return Reply.error("ERR reached lua stack limit");
    }
    switch (lua.type(index)) {
      case STRING, NUMBER -> {
        if (lua.type(index) == Lua.LuaType.NUMBER) {
          return Reply.integer(truncate(lua.toNumber(index)));
        }
        return Reply.bulk(bytes(lua.toBuffer(index)));
      }
      case BOOLEAN -> {
        boolean b = lua.toBoolean(index);
        if (luaResp == 3) {
          return new Reply.Bool(b);
        }
        return b ? Reply.integer(1) : Reply.NULL;
      }
      case TABLE -> {
        return table(index, luaResp, depth);
      }
      default -> {
        return Reply.NULL;
      }
    }
  }

  private Reply table(int index, int luaResp, int depth) {
    String err = rawString(index, "err");
    if (err != null) {
      return Reply.error(oneLine(err));
    }
    String ok = rawString(index, "ok");
    if (ok != null) {
      return Reply.simple(oneLine(ok));
    }
    lua.push("double");
    lua.rawGet(index);
    if (lua.type(-1) == Lua.LuaType.NUMBER) {
      double d = lua.toNumber(-1);
      lua.pop(1);
      return new Reply.Double(d);
    }
    lua.pop(1);
    String big = rawString(index, "big_number");
    if (big != null) {
      return Reply.bulk(oneLine(big));
    }
    lua.push("verbatim_string");
    lua.rawGet(index);
    if (lua.type(-1) == Lua.LuaType.TABLE) {
      int v = lua.getTop();
      String format = rawString(v, "format");
      lua.push("string");
      lua.rawGet(v);
      byte[] text = lua.type(-1) == Lua.LuaType.STRING ? bytes(lua.toBuffer(-1)) : null;
      lua.pop(2);
      if (format != null && text != null) {
        return new Reply.Verbatim(format.length() > 3 ? format.substring(0, 3) : format, text);
      }
    } else {
      lua.pop(1);
    }
    for (String kind : new String[] {"map", "set"}) {
      lua.push(kind);
      lua.rawGet(index);
      if (lua.type(-1) == Lua.LuaType.TABLE) {
        int t = lua.getTop();
        List<Reply> out = new ArrayList<>();
        lua.pushNil();
        while (lua.next(t) != 0) {
          // key at -2, value at -1
          out.add(toReply(lua.getTop() - 1, luaResp, depth + 1));
          if (kind.equals("map")) {
            out.add(toReply(lua.getTop(), luaResp, depth + 1));
          }
          lua.pop(1);
        }
        lua.pop(1);
        return kind.equals("map") ? new Reply.Map(out) : new Reply.Set(out);
      }
      lua.pop(1);
    }
    List<Reply> items = new ArrayList<>();
    for (int i = 1; ; i++) {
      lua.rawGetI(index, i);
      if (lua.type(-1) == Lua.LuaType.NIL) {
        lua.pop(1);
        break;
      }
      items.add(toReply(lua.getTop(), luaResp, depth + 1));
      lua.pop(1);
    }
    return Reply.array(items);
  }

  /** A status or error text on one line, as Redis sends it. */
  private static String oneLine(String s) {
    return s.replace('\r', ' ').replace('\n', ' ');
  }

  private String rawString(int index, String key) {
    lua.push(key);
    lua.rawGet(index);
    String s = lua.type(-1) == Lua.LuaType.STRING ? new String(bytes(lua.toBuffer(-1)), StandardCharsets.UTF_8) : null;
    lua.pop(1);
    return s;
  }

  /** C's (long long) cast as x86 does it: toward zero, and NaN, infinities, overflow to the minimum. */
  static long truncate(double d) {
    if (Double.isNaN(d) || d >= 0x1p63 || d < -0x1p63) {
      return Long.MIN_VALUE;
    }
    return (long) d;
  }

  private static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return new byte[0];
    }
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static ByteBuffer direct(byte[] code) {
    ByteBuffer b = ByteBuffer.allocateDirect(code.length);
    b.put(code).flip();
    return b;
  }

  private static int indexOf(byte[] a, byte b) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public void close() {
    lua.close();
  }
}
