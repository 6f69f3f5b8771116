package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.str;

import io.keyshard.node.server.NodeSettings;
import io.keyshard.node.server.ServerStats;
import io.keyshard.node.server.Session;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Glob;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * CONFIG GET/SET/RESETSTAT/REWRITE over the parameters Keyshard has, under Redis's names.
 * Parameters Redis has and Keyshard does not are not listed: CONFIG GET of them returns nothing,
 * as Redis does for unknown names, and CONFIG SET of them is an error.
 */
final class ConfigCommand {

  private record Param(Supplier<String> get, Consumer<String> set) {}

  private final Map<String, Param> params = new LinkedHashMap<>();
  private final ServerStats stats;

  ConfigCommand(NodeSettings settings, ServerStats stats) {
    this.stats = stats;
    params.put("bind", new Param(settings::bind, null));
    params.put("port", new Param(() -> Integer.toString(settings.port()), null));
    params.put("dir", new Param(() -> settings.dir().toString(), null));
    params.put("databases", new Param(() -> "16", null));
    params.put(
        "requirepass",
        new Param(
            () -> settings.requirePass() == null ? "" : settings.requirePass(),
            settings::setRequirePass));
    params.put(
        "maxclients",
        new Param(
            () -> Integer.toString(settings.maxClients()),
            v -> settings.setMaxClients(Math.toIntExact(positive(v)))));
    params.put(
        "timeout",
        new Param(
            () -> Long.toString(settings.idleTimeoutSeconds()),
            v -> settings.setIdleTimeoutSeconds(positive(v))));
    params.put(
        "proto-max-bulk-len",
        new Param(
            () -> Long.toString(settings.protoMaxBulkLen()),
            v -> settings.setProtoMaxBulkLen(positive(v))));
    params.put("appendonly", new Param(() -> "yes", null));
    params.put("appendfsync", new Param(() -> "always", null));
    params.put("save", new Param(() -> "", null));
    params.put("cluster-enabled", new Param(() -> "no", null));
    params.put("maxmemory", new Param(() -> "0", null));
    params.put("maxmemory-policy", new Param(() -> "noeviction", null));
  }

  private static long positive(String v) {
    long n = Long.parseLong(v.trim());
    if (n < 0) {
      throw new IllegalArgumentException("argument must be positive");
    }
    return n;
  }

  Reply run(Session s, byte[][] a) {
    String sub = str(a[1]).toLowerCase();
    switch (sub) {
      case "get": {
        Map<String, String> found = new LinkedHashMap<>();
        for (int i = 2; i < a.length; i++) {
          for (Map.Entry<String, Param> p : params.entrySet()) {
            if (Glob.match(a[i], Args.bytes(p.getKey()), true)) {
              found.put(p.getKey(), p.getValue().get().get());
            }
          }
        }
        List<Reply> kv = new ArrayList<>();
        found.forEach((k, v) -> {
          kv.add(Reply.bulk(k));
          kv.add(Reply.bulk(v));
        });
        return new Reply.Map(kv);
      }
      case "set": {
        if (a.length < 4 || a.length % 2 != 0) {
          return Err.wrongArity("config|set");
        }
        // Validate every name first so a bad one changes nothing, as in Redis 7.
        for (int i = 2; i < a.length; i += 2) {
          String name = str(a[i]).toLowerCase();
          Param p = params.get(name);
          if (p == null || p.set() == null) {
            return Err.err(
                "Unknown option or number of arguments for CONFIG SET - '" + str(a[i]) + "'");
          }
        }
        for (int i = 2; i < a.length; i += 2) {
          String name = str(a[i]).toLowerCase();
          try {
            params.get(name).set().accept(str(a[i + 1]));
          } catch (RuntimeException e) {
            return Err.err(
                "CONFIG SET failed (possibly related to argument '" + str(a[i]) + "') - "
                    + (e instanceof NumberFormatException ? "argument couldn't be parsed into an integer" : e.getMessage()));
          }
        }
        return Reply.OK;
      }
      case "resetstat":
        stats.reset();
        return Reply.OK;
      case "rewrite":
        return Err.err("The server is running without a config file");
      case "help":
        return Reply.array(
            List.of(
                Reply.simple("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
                Reply.simple("GET <pattern>"),
                Reply.simple("    Return parameters matching the glob-like <pattern> and their values."),
                Reply.simple("SET <directive> <value>"),
                Reply.simple("    Set the configuration <directive> to <value>."),
                Reply.simple("RESETSTAT"),
                Reply.simple("    Reset statistics reported by the INFO command."),
                Reply.simple("REWRITE"),
                Reply.simple("    Rewrite the configuration file."),
                Reply.simple("HELP"),
                Reply.simple("    Print this help.")));
      default:
        return Err.err("unknown subcommand '" + str(a[1]) + "'. Try CONFIG HELP.");
    }
  }
}
