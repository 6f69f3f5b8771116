package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.str;

import io.keyshard.node.acl.Acl;
import io.keyshard.node.journal.JournalEngine;
import io.keyshard.node.server.CommandStats;
import io.keyshard.node.server.NodeSettings;
import io.keyshard.node.server.OutputBufferLimits;
import io.keyshard.node.server.Session;
import io.keyshard.node.slot.Notifications;
import io.keyshard.persistence.rocks.AppendFsync;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Glob;
import io.keyshard.protocol.Reply;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * CONFIG GET/SET/RESETSTAT/REWRITE/HELP over the parameters Keyshard has, under Redis's names and
 * with Redis 7.0's value types, so a bad value gets Redis's error word for word. Parameters Redis
 * has and Keyshard does not are not listed: CONFIG GET of them returns nothing, as Redis does for
 * unknown names, and CONFIG SET of them is Redis's unknown-option error.
 *
 * <p>A value Redis would accept but Keyshard cannot honour (turning the journal off, an LFU
 * eviction policy) is refused in Redis's error shape with Keyshard's reason, never silently ignored.
 */
final class ConfigCommand {

  /** Whether CONFIG SET may change a parameter, with Redis's words for why not. */
  enum Mutability {
    MUTABLE,
    IMMUTABLE,
    PROTECTED
  }

  /**
   * One parameter, declared as data: its value type (which parses and validates a new value
   * exactly as Redis's config type does), how to read it, and how to apply a parsed value.
   * {@code refuse} gives Keyshard's reason for rejecting a well-formed value, or null to accept.
   */
  private record Param(
      String name,
      ConfigType type,
      Mutability mutability,
      Function<Session, String> get,
      Function<String, String> refuse,
      Consumer<String> set) {}

  private static final String HELP_HEADER =
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:";

  private final Map<String, Param> params = new LinkedHashMap<>();
  private final Runnable resetStats;
  /** CONFIG SET save is kept for CONFIG GET only: every write is journaled, there is no RDB. */
  private volatile String save = "";

  ConfigCommand(
      NodeSettings settings,
      Acl acl,
      JournalEngine journal,
      Notifications notifications,
      io.keyshard.node.pubsub.Tracking tracking,
      CommandStats commandStats,
      Runnable evictIfOver,
      Runnable resetStats) {
    this.resetStats = resetStats;
    // Keyshard binds once at start-up; Redis 7.0 would rebind, Keyshard refuses instead.
    fixed("bind", ConfigType.STRING, Mutability.IMMUTABLE, s -> settings.bind());
    fixed("port", ConfigType.integer(0, 65535), Mutability.IMMUTABLE, s -> boundPort(settings, s));
    fixed("dir", ConfigType.STRING, Mutability.PROTECTED, s -> settings.dir().toString());
    fixed("dbfilename", ConfigType.STRING, Mutability.PROTECTED, s -> settings.dbFilename());
    fixed("enable-debug-command", ConfigType.oneOf("no", "yes", "local"), Mutability.IMMUTABLE, s -> settings.enableDebugCommand());
    fixed("databases", ConfigType.integer(1, Integer.MAX_VALUE), Mutability.IMMUTABLE, s -> "16");
    fixed("cluster-enabled", ConfigType.BOOL, Mutability.IMMUTABLE, s -> "no");
    // TLS is set up once at start-up (Redis 7.0 could reload it; tls-key-file-pass is not shown).
    fixed("tls-port", ConfigType.integer(0, 65535), Mutability.IMMUTABLE, s -> Integer.toString(settings.tls().port()));
    fixed("tls-cert-file", ConfigType.STRING, Mutability.IMMUTABLE, s -> pathOrEmpty(settings.tls().certFile()));
    fixed("tls-key-file", ConfigType.STRING, Mutability.IMMUTABLE, s -> pathOrEmpty(settings.tls().keyFile()));
    fixed("tls-ca-cert-file", ConfigType.STRING, Mutability.IMMUTABLE, s -> pathOrEmpty(settings.tls().caCertFile()));
    fixed("tls-auth-clients", ConfigType.oneOf("yes", "no", "optional"), Mutability.IMMUTABLE, s -> settings.tls().authClients().redisName());
    fixed("tls-protocols", ConfigType.STRING, Mutability.IMMUTABLE, s -> String.join(" ", settings.tls().protocols()));
    add(
        "requirepass",
        ConfigType.STRING,
        s -> settings.requirePass() == null ? "" : settings.requirePass(),
        null,
        v -> {
          settings.setRequirePass(v);
          acl.setDefaultPassword(v);
        });
    add(
        "acl-pubsub-default",
        ConfigType.oneOf("allchannels", "resetchannels"),
        s -> acl.pubsubDefaultAll() ? "allchannels" : "resetchannels",
        null,
        v -> acl.setPubsubDefaultAll(v.equals("allchannels")));
    add(
        "acllog-max-len",
        ConfigType.integer(0, Long.MAX_VALUE),
        s -> Integer.toString(acl.log().maxLen()),
        null,
        v -> acl.log().setMaxLen((int) Math.min(Long.parseLong(v), Integer.MAX_VALUE)));
    add(
        "protected-mode",
        ConfigType.BOOL,
        s -> settings.protectedMode() ? "yes" : "no",
        null,
        v -> settings.setProtectedMode(v.equals("yes")));
    add(
        "maxclients",
        ConfigType.integer(1, 4294967295L),
        s -> Integer.toString(settings.maxClients()),
        null,
        v -> settings.setMaxClients((int) Math.min(Long.parseLong(v), Integer.MAX_VALUE)));
    add(
        "timeout",
        ConfigType.integer(0, Integer.MAX_VALUE),
        s -> Long.toString(settings.idleTimeoutSeconds()),
        null,
        v -> settings.setIdleTimeoutSeconds(Long.parseLong(v)));
    for (String name : List.of("busy-reply-threshold", "lua-time-limit")) {
      add(
          name,
          ConfigType.integer(0, Long.MAX_VALUE),
          s -> Long.toString(settings.busyReplyThresholdMs()),
          null,
          v -> settings.setBusyReplyThresholdMs(Long.parseLong(v)));
    }
    // Read by XADD when it decides whether an entry opens a node (the decision is journaled).
    add(
        "stream-node-max-bytes",
        ConfigType.memory(0, Long.MAX_VALUE),
        s -> Long.toString(StreamCommands.nodeMaxBytes),
        null,
        v -> StreamCommands.nodeMaxBytes = Long.parseLong(v));
    add(
        "stream-node-max-entries",
        ConfigType.integer(0, Long.MAX_VALUE),
        s -> Long.toString(StreamCommands.nodeMaxEntries),
        null,
        v -> StreamCommands.nodeMaxEntries = Long.parseLong(v));
    add(
        "proto-max-bulk-len",
        ConfigType.memory(1024 * 1024, Long.MAX_VALUE),
        s -> Long.toString(settings.protoMaxBulkLen()),
        null,
        v -> settings.setProtoMaxBulkLen(Long.parseLong(v)));
    add(
        "client-query-buffer-limit",
        ConfigType.memory(1024 * 1024, Long.MAX_VALUE),
        s -> Long.toString(settings.clientQueryBufferLimit()),
        null,
        v -> settings.setClientQueryBufferLimit(Long.parseLong(v)));
    add(
        "client-output-buffer-limit",
        ConfigType.OUTPUT_BUFFER_LIMIT,
        s -> settings.clientOutputBufferLimits().toString(),
        null,
        v -> settings.setClientOutputBufferLimits(settings.clientOutputBufferLimits().apply(v).limits()));
    add(
        "appendonly",
        ConfigType.BOOL,
        s -> "yes",
        v -> v.equals("yes") ? null : "Keyshard journals every write, appendonly cannot be turned off",
        v -> {});
    add(
        "appendfsync",
        ConfigType.oneOf("everysec", "always", "no"),
        s -> journal.appendFsync().redisName(),
        v -> journal.refuseAppendFsync(AppendFsync.parse(v)),
        v -> journal.setAppendFsync(AppendFsync.parse(v)));
    add("save", ConfigType.SAVE, s -> save, null, v -> save = v);
    add(
        "maxmemory",
        ConfigType.unsignedMemory(),
        s -> Long.toUnsignedString(settings.maxMemory()),
        null,
        v -> {
          settings.setMaxMemory(Long.parseUnsignedLong(v));
          // As Redis, a limit below used memory evicts now (in the background here).
          evictIfOver.run();
        });
    add(
        "maxmemory-policy",
        ConfigType.oneOf(
            "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
            "allkeys-lfu", "allkeys-random", "noeviction"),
        s -> settings.maxMemoryPolicy(),
        v ->
            NodeSettings.MAXMEMORY_POLICIES.contains(v)
                ? null
                : "Keyshard does not count key accesses, the LFU policies are not available",
        settings::setMaxMemoryPolicy);
    add(
        "notify-keyspace-events",
        ConfigType.KEYSPACE_EVENTS,
        s -> Notifications.render(notifications.flags()),
        null,
        v -> notifications.setFlags(Notifications.parse(v)));
    add(
        "latency-tracking",
        ConfigType.BOOL,
        s -> commandStats.latencyTracking() ? "yes" : "no",
        null,
        v -> commandStats.setLatencyTracking(v.equals("yes")));
    add(
        "latency-tracking-info-percentiles",
        ConfigType.STRING,
        s -> commandStats.percentiles(),
        CommandStats::refusePercentiles,
        commandStats::setPercentiles);
    add(
        "tracking-table-max-keys",
        ConfigType.integer(0, Long.MAX_VALUE),
        s -> Long.toString(tracking.maxKeys()),
        null,
        v -> tracking.setMaxKeys(Long.parseLong(v)));
    add(
        "maxmemory-samples",
        ConfigType.integer(1, Integer.MAX_VALUE),
        s -> Integer.toString(settings.maxMemorySamples()),
        null,
        v -> settings.setMaxMemorySamples(Integer.parseInt(v)));
  }

  private void add(
      String name,
      ConfigType type,
      Function<Session, String> get,
      Function<String, String> refuse,
      Consumer<String> set) {
    params.put(name, new Param(name, type, Mutability.MUTABLE, get, refuse, set));
  }

  private void fixed(String name, ConfigType type, Mutability m, Function<Session, String> get) {
    params.put(name, new Param(name, type, m, get, null, null));
  }

  private static String pathOrEmpty(Path p) {
    return p == null ? "" : p.toString();
  }

  /** The configured port, or the one the OS picked when it was 0 (this connection's own). */
  private static String boundPort(NodeSettings settings, Session s) {
    if (settings.port() != 0 || settings.tls().enabled()) {
      return Integer.toString(settings.port()); // 0 with TLS: no plain port, as in Redis
    }
    return s.laddr.substring(s.laddr.lastIndexOf(':') + 1);
  }

  Reply run(Session s, byte[][] a) {
    String sub = str(a[1]).toLowerCase(Locale.ROOT);
    switch (sub) {
      case "get":
        return get(s, a);
      case "set":
        return set(a);
      case "resetstat":
        resetStats.run();
        return Reply.OK;
      case "rewrite":
        // Keyshard's configuration is HOCON with defaults layered beneath it: there is no Redis
        // style file to rewrite, so this answers as Redis does when started without one.
        return Err.err("The server is running without a config file");
      case "help":
        return help();
      default:
        return Err.err("unknown subcommand '" + str(a[1]) + "'. Try CONFIG HELP.");
    }
  }

  /**
   * Redis 7.0 collects matches by name, case-insensitively: a plain name is looked up and
   * answered under the spelling given; a glob adds every parameter it matches that is not there
   * yet.
   */
  private Reply get(Session s, byte[][] a) {
    Map<String, Map.Entry<String, Param>> found = new LinkedHashMap<>();
    for (int i = 2; i < a.length; i++) {
      String pattern = str(a[i]);
      if (!isGlob(pattern)) {
        Param p = params.get(pattern.toLowerCase(Locale.ROOT));
        if (p != null) {
          found.putIfAbsent(p.name(), Map.entry(pattern, p));
        }
        continue;
      }
      for (Param p : params.values()) {
        if (Glob.match(a[i], Args.bytes(p.name()), true)) {
          found.putIfAbsent(p.name(), Map.entry(p.name(), p));
        }
      }
    }
    List<Reply> kv = new ArrayList<>();
    for (Map.Entry<String, Param> e : found.values()) {
      kv.add(Reply.bulk(e.getKey()));
      kv.add(Reply.bulk(e.getValue().get().apply(s)));
    }
    return new Reply.Map(kv);
  }

  private static boolean isGlob(String pattern) {
    return pattern.indexOf('*') >= 0 || pattern.indexOf('?') >= 0 || pattern.indexOf('[') >= 0;
  }

  private record Change(Param param, String value) {}

  /**
   * Redis 7.0's order of checks: every name first (unknown, immutable, protected, duplicate, in
   * argument order), then every value; nothing changes unless all of them pass.
   */
  private Reply set(byte[][] a) {
    if ((a.length & 1) != 0) {
      return Err.SYNTAX;
    }
    List<Param> named = new ArrayList<>();
    for (int i = 2; i < a.length; i += 2) {
      String given = str(a[i]);
      Param p = params.get(given.toLowerCase(Locale.ROOT));
      if (p == null) {
        return Err.err("Unknown option or number of arguments for CONFIG SET - '" + given + "'");
      }
      if (p.mutability() == Mutability.IMMUTABLE) {
        return failed(given, "can't set immutable config");
      }
      if (p.mutability() == Mutability.PROTECTED) {
        return failed(given, "can't set protected config");
      }
      if (named.contains(p)) {
        return failed(given, "duplicate parameter");
      }
      named.add(p);
    }
    List<Change> changes = new ArrayList<>();
    for (int i = 2; i < a.length; i += 2) {
      Param p = named.get((i - 2) / 2);
      ConfigType.Parsed parsed = p.type().parse(str(a[i + 1]));
      if (parsed.error() != null) {
        return failed(str(a[i]), parsed.error());
      }
      String refused = p.refuse() == null ? null : p.refuse().apply(parsed.value());
      if (refused != null) {
        return failed(str(a[i]), refused);
      }
      changes.add(new Change(p, parsed.value()));
    }
    for (Change c : changes) {
      c.param().set().accept(c.value());
    }
    return Reply.OK;
  }

  private static Reply failed(String given, String reason) {
    return Err.err("CONFIG SET failed (possibly related to argument '" + given + "') - " + reason);
  }

  /**
   * Redis 7.0's config value types: each parses a new value as Redis does, answering either the
   * canonical value (what CONFIG GET will show) or Redis's reason for refusing it.
   */
  sealed interface ConfigType {
    record Parsed(String value, String error) {
      static Parsed ok(String value) {
        return new Parsed(value, null);
      }

      static Parsed error(String reason) {
        return new Parsed(null, reason);
      }
    }

    Parsed parse(String value);

    ConfigType STRING = new Text();
    ConfigType BOOL = new Bool();
    ConfigType SAVE = new SaveParams();
    ConfigType OUTPUT_BUFFER_LIMIT = new BufferLimits();
    ConfigType KEYSPACE_EVENTS = new KeyspaceEvents();

    static ConfigType integer(long min, long max) {
      return new Numeric(false, min, max, false);
    }

    /** A byte count with an optional unit (1k, 1kb, 2mb, 1g, 1gb...), as Redis's memtoull. */
    static ConfigType memory(long min, long max) {
      return new Numeric(true, min, max, false);
    }

    /** A memory value over the whole unsigned 64-bit range (maxmemory). */
    static ConfigType unsignedMemory() {
      return new Numeric(true, 0, -1, true);
    }

    static ConfigType oneOf(String... names) {
      return new OneOf(List.of(names));
    }

    record Text() implements ConfigType {
      @Override
      public Parsed parse(String value) {
        return Parsed.ok(value);
      }
    }

    record Bool() implements ConfigType {
      @Override
      public Parsed parse(String value) {
        if (value.equalsIgnoreCase("yes")) {
          return Parsed.ok("yes");
        }
        if (value.equalsIgnoreCase("no")) {
          return Parsed.ok("no");
        }
        return Parsed.error("argument must be 'yes' or 'no'");
      }
    }

    record OneOf(List<String> names) implements ConfigType {
      @Override
      public Parsed parse(String value) {
        for (String n : names) {
          if (n.equalsIgnoreCase(value)) {
            return Parsed.ok(n);
          }
        }
        return Parsed.error(
            "argument(s) must be one of the following: " + String.join(", ", names));
      }
    }

    /** {@code max} is compared unsigned when {@code unsigned}: -1 is 2^64-1. */
    record Numeric(boolean memory, long min, long max, boolean unsigned) implements ConfigType {
      @Override
      public Parsed parse(String value) {
        Long n = memory ? memToULL(value) : Args.parseLongOrNull(Args.bytes(value));
        if (n == null) {
          return Parsed.error(
              memory
                  ? "argument must be a memory value"
                  : "argument couldn't be parsed into an integer");
        }
        if (unsigned) {
          return Parsed.ok(Long.toUnsignedString(n));
        }
        // A memory value above 2^63-1 reads as negative, as Redis's cast to long long does.
        if (n < min || n > max) {
          return Parsed.error("argument must be between " + min + " and " + max + " inclusive");
        }
        return Parsed.ok(Long.toString(n));
      }

      static Long memToULL(String v) {
        return NodeSettings.memToULL(v);
      }
    }

    /**
     * notify-keyspace-events: Redis's class characters. The value is kept as given (CONFIG GET
     * renders the flags): Redis's rendering drops 'n' next to 'A', but the flag stays on.
     */
    record KeyspaceEvents() implements ConfigType {
      @Override
      public Parsed parse(String value) {
        return Notifications.parse(value) < 0 ? Parsed.error(Notifications.INVALID) : Parsed.ok(value);
      }
    }

    /** client-output-buffer-limit groups; the value is kept as given and applied per class. */
    record BufferLimits() implements ConfigType {
      @Override
      public Parsed parse(String value) {
        String error = OutputBufferLimits.REDIS_DEFAULT.apply(value).error();
        return error == null ? Parsed.ok(value) : Parsed.error(error);
      }
    }

    /**
     * Pairs of "seconds changes" separated by single spaces, seconds at least 1 and changes at
     * least 0; "" clears. Each number is read as strtoll reads it (leading blanks, a sign).
     */
    record SaveParams() implements ConfigType {
      @Override
      public Parsed parse(String value) {
        if (value.isEmpty()) {
          return Parsed.ok("");
        }
        String[] parts = value.split(" ", -1);
        if (parts.length % 2 != 0) {
          return Parsed.error("Invalid save parameters");
        }
        StringBuilder out = new StringBuilder();
        for (int j = 0; j < parts.length; j++) {
          Long n = strtoll(parts[j]);
          if (n == null || n < (j % 2 == 0 ? 1 : 0)) {
            return Parsed.error("Invalid save parameters");
          }
          if (j > 0) {
            out.append(' ');
          }
          out.append(j % 2 == 0 ? n : (int) (long) n);
        }
        return Parsed.ok(out.toString());
      }

      private static Long strtoll(String s) {
        String t = s.stripLeading();
        if (!t.matches("[+-]?[0-9]+")) {
          return null;
        }
        try {
          return Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
        } catch (NumberFormatException overflow) {
          // strtoll saturates.
          return t.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
      }
    }
  }

  private static Reply help() {
    List<Reply> lines = new ArrayList<>();
    for (String line :
        List.of(
            HELP_HEADER,
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Prints this help.")) {
      lines.add(Reply.simple(line));
    }
    return Reply.array(lines);
  }
}
