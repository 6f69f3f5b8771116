package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.str;

import io.keyshard.node.server.ClientRegistry;
import io.keyshard.node.server.NodeSettings;
import io.keyshard.node.server.ServerStats;
import io.keyshard.node.server.Session;
import io.keyshard.protocol.Reply;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** INFO, with Redis's section names and field names; values are Keyshard's own. */
final class ServerInfo {
  private static final List<String> DEFAULT_SECTIONS =
      List.of(
          "server", "clients", "memory", "persistence", "stats", "replication", "cpu",
          "modules", "errorstats", "cluster", "keyspace");

  private final NodeSettings settings;
  private final ClientRegistry clients;
  private final ServerStats stats;
  private final ServerCommands server;
  private final String runId;

  ServerInfo(NodeSettings settings, ClientRegistry clients, ServerStats stats, ServerCommands server) {
    this.settings = settings;
    this.clients = clients;
    this.stats = stats;
    this.server = server;
    StringBuilder sb = new StringBuilder();
    java.util.Random r = new java.security.SecureRandom();
    for (int i = 0; i < 40; i++) {
      sb.append("0123456789abcdef".charAt(r.nextInt(16)));
    }
    this.runId = sb.toString();
  }

  CompletionStage<Reply> render(Session s, byte[][] a) {
    Set<String> sections = new LinkedHashSet<>();
    if (a.length == 1) {
      sections.addAll(DEFAULT_SECTIONS);
    }
    for (int i = 1; i < a.length; i++) {
      String name = str(a[i]).toLowerCase();
      if (name.equals("default") || name.equals("all") || name.equals("everything")) {
        sections.addAll(DEFAULT_SECTIONS);
      } else {
        sections.add(name);
      }
    }
    CompletionStage<Map<String, String>> keyspace =
        sections.contains("keyspace")
            ? server.stats().thenApply(server::keyspaceLines)
            : CompletableFuture.completedFuture(Map.of());
    return keyspace
        .thenApply(
            ks -> {
              StringBuilder out = new StringBuilder();
              for (String section : sections) {
                String body = section(section, ks);
                if (body == null) {
                  continue;
                }
                if (out.length() > 0) {
                  out.append("\r\n");
                }
                out.append("# ").append(Character.toUpperCase(section.charAt(0)))
                    .append(section.substring(1)).append("\r\n").append(body);
              }
              return (Reply) new Reply.Verbatim("txt", Args.bytes(out.toString()));
            })
        .exceptionally(ServerCommands::failed);
  }

  private String section(String name, Map<String, String> keyspace) {
    StringBuilder b = new StringBuilder();
    Runtime rt = Runtime.getRuntime();
    long uptime = (System.currentTimeMillis() - stats.startedAt) / 1000;
    switch (name) {
      case "server" -> {
        line(b, "redis_version", ServerCommands.REDIS_VERSION);
        line(b, "keyshard_version", "0.1.0");
        line(b, "redis_mode", "standalone");
        line(b, "os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        line(b, "arch_bits", "64");
        line(b, "process_id", Long.toString(ProcessHandle.current().pid()));
        line(b, "run_id", runId);
        line(b, "tcp_port", Integer.toString(settings.port()));
        line(b, "uptime_in_seconds", Long.toString(uptime));
        line(b, "uptime_in_days", Long.toString(uptime / 86400));
        line(b, "executable", "keyshard-server");
        line(b, "config_file", "");
      }
      case "clients" -> {
        line(b, "connected_clients", Integer.toString(clients.size()));
        line(b, "maxclients", Integer.toString(settings.maxClients()));
        line(b, "blocked_clients", "0");
      }
      case "memory" -> {
        long used = rt.totalMemory() - rt.freeMemory();
        line(b, "used_memory", Long.toString(used));
        line(b, "used_memory_human", human(used));
        line(b, "maxmemory", "0");
        line(b, "maxmemory_policy", "noeviction");
        line(b, "jvm_heap_max", Long.toString(rt.maxMemory()));
      }
      case "persistence" -> {
        line(b, "loading", "0");
        line(b, "rdb_changes_since_last_save", "0");
        line(b, "rdb_bgsave_in_progress", "0");
        line(b, "rdb_last_save_time", Long.toString(stats.lastSave));
        line(b, "aof_enabled", "1");
        line(b, "aof_rewrite_in_progress", "0");
        line(b, "keyshard_journal", "jdbc");
      }
      case "stats" -> {
        line(b, "total_connections_received", Long.toString(stats.connectionsReceived.get()));
        line(b, "total_commands_processed", Long.toString(stats.commandsProcessed.get()));
        line(b, "total_net_input_bytes", Long.toString(stats.netInputBytes.get()));
        line(b, "total_net_output_bytes", Long.toString(stats.netOutputBytes.get()));
        line(b, "rejected_connections", Long.toString(stats.rejectedConnections.get()));
        line(b, "expired_keys", "0");
        line(b, "evicted_keys", "0");
        line(b, "keyspace_hits", "0");
        line(b, "keyspace_misses", "0");
        line(b, "total_error_replies", Long.toString(stats.errorReplies.get()));
      }
      case "replication" -> {
        line(b, "role", "master");
        line(b, "connected_slaves", "0");
      }
      case "cpu" -> {
        double cpu =
            ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() / 1e9
                : 0;
        line(b, "used_cpu_sys", String.format("%.6f", 0.0));
        line(b, "used_cpu_user", String.format("%.6f", cpu));
      }
      case "modules", "errorstats" -> {}
      case "cluster" -> line(b, "cluster_enabled", "0");
      case "keyspace" -> keyspace.forEach((k, v) -> line(b, k, v));
      default -> {
        return null;
      }
    }
    return b.toString();
  }

  private static void line(StringBuilder b, String k, String v) {
    b.append(k).append(':').append(v).append("\r\n");
  }

  private static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + "B";
    }
    double v = bytes;
    String[] units = {"K", "M", "G", "T"};
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format("%.2f%s", v, units[u]);
  }
}
