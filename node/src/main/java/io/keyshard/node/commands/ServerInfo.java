package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.str;

import com.sun.management.OperatingSystemMXBean;
import io.keyshard.node.journal.JournalEngine;
import io.keyshard.node.server.ClientRegistry;
import io.keyshard.node.server.NodeSettings;
import io.keyshard.node.server.ServerStats;
import io.keyshard.node.server.Session;
import io.keyshard.node.slot.Loading;
import io.keyshard.node.slot.MemoryAccountant;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.protocol.Reply;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * INFO, with Redis 7.0's section names, field names and field order, so that tools written for
 * Redis (redis-cli --stat, exporters, client libraries) parse it; the values are Keyshard's. A
 * field with no Keyshard meaning has Redis's idle value (0, -1, "ok"); fields Keyshard adds
 * (keyshard_*) come last in their section.
 *
 * <p>Commandstats, Errorstats and Latencystats come from {@link ServerStats#commands}, counted as
 * Redis 7.0 counts them (server/CommandStats: which calls are rejected or failed, commands inside
 * EXEC and scripts under their own names, errors by code); "default" has Errorstats but not the
 * other two, "all" and "everything" have all three (Keyshard has no modules, so they are the same).
 */
final class ServerInfo {
  static final String KEYSHARD_VERSION = keyshardVersion();

  /** Every section in Redis's output order, with its heading. */
  private static final Map<String, String> SECTIONS = new LinkedHashMap<>();

  static {
    for (String heading :
        List.of(
            "Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
            "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace")) {
      SECTIONS.put(heading.toLowerCase(Locale.ROOT), heading);
    }
  }

  /** Redis 7.0's "all" (and, without modules, "everything"): every section. */
  private static final Set<String> ALL_SECTIONS = SECTIONS.keySet();

  /** Redis 7.0's "default" (and INFO without arguments): all but commandstats and latencystats. */
  private static final Set<String> DEFAULT_SECTIONS =
      Set.copyOf(
          SECTIONS.keySet().stream()
              .filter(k -> !k.equals("commandstats") && !k.equals("latencystats"))
              .toList());

  private final NodeSettings settings;
  private final ClientRegistry clients;
  private final ServerStats stats;
  private final ServerCommands server;
  private final String runId = randomHex();
  private final String replId = randomHex();
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final AtomicLong peakMemory = new AtomicLong();
  private final AtomicLong saves = new AtomicLong();
  private final Rates rates = new Rates();

  private final MemoryAccountant data;
  private final JournalEngine journal;
  private final Supplier<Loading> loading;

  ServerInfo(
      NodeSettings settings,
      ClientRegistry clients,
      ServerStats stats,
      ServerCommands server,
      MemoryAccountant data,
      JournalEngine journal,
      Supplier<Loading> loading) {
    this.loading = loading;
    this.data = data;
    this.journal = journal;
    this.settings = settings;
    this.clients = clients;
    this.stats = stats;
    this.server = server;
  }

  void countSave() {
    saves.incrementAndGet();
  }

  /** CONFIG RESETSTAT's share here: what Redis's resetServerStats also zeroes. */
  void resetStats() {
    saves.set(0);
    peakMemory.set(0);
  }

  /**
   * INFO [section ...]: sections are named in any case and always come out in Redis's order,
   * each once; "default" stands for Redis 7.0's default sections, "all" and "everything" for
   * every section (Keyshard has no modules).
   */
  CompletionStage<Reply> render(Session s, byte[][] a) {
    return render(s, a, server::stats);
  }

  /** INFO with the key counts taken from {@code stats} (inside EXEC: from the locked slots). */
  CompletionStage<Reply> render(
      Session s, byte[][] a, Supplier<CompletionStage<SlotEntity.Stats>> stats) {
    Set<String> wanted = new TreeSet<>();
    if (a.length == 1) {
      wanted.addAll(DEFAULT_SECTIONS);
    }
    for (int i = 1; i < a.length; i++) {
      String name = str(a[i]).toLowerCase(Locale.ROOT);
      if (name.equals("default")) {
        wanted.addAll(DEFAULT_SECTIONS);
      } else if (name.equals("all") || name.equals("everything")) {
        wanted.addAll(ALL_SECTIONS);
      } else if (SECTIONS.containsKey(name)) {
        wanted.add(name);
      }
    }
    // INFO runs while the node loads its data set (Redis flags it ok-loading, and clients such
    // as ioredis read loading:1 from it before they send anything else); the Keyspace section
    // then lists no database rather than counts of a data set half loaded.
    CompletionStage<Map<String, String>> keyspace =
        wanted.contains("keyspace") && !loading.get().active()
            ? stats.get().thenApply(server::keyspaceLines)
            : CompletableFuture.completedFuture(Map.of());
    return keyspace
        .thenApply(
            ks -> {
              StringBuilder out = new StringBuilder();
              for (Map.Entry<String, String> section : SECTIONS.entrySet()) {
                if (!wanted.contains(section.getKey())) {
                  continue;
                }
                if (out.length() > 0) {
                  out.append("\r\n");
                }
                out.append("# ").append(section.getValue()).append("\r\n");
                section(section.getKey(), s, ks, new Lines(out));
              }
              return (Reply) new Reply.Verbatim("txt", Args.bytes(out.toString()));
            })
        .exceptionally(ServerCommands::failed);
  }

  /** Appends {@code name:value\r\n} lines. */
  private record Lines(StringBuilder b) {
    Lines add(String name, Object value) {
      b.append(name).append(':').append(value).append("\r\n");
      return this;
    }
  }

  private void section(String name, Session s, Map<String, String> keyspace, Lines l) {
    switch (name) {
      case "server" -> server(s, l);
      case "clients" -> clients(l);
      case "memory" -> memory(l);
      case "persistence" -> persistence(l);
      case "stats" -> stats(l);
      case "replication" -> replication(l);
      case "cpu" -> cpu(l);
      case "cluster" -> {
        l.add("cluster_enabled", settings.clusterEnabled() ? 1 : 0);
        l.b().append(settings.clusterInfo());
      }
      case "keyspace" -> keyspace.forEach(l::add);
      case "commandstats" -> stats.commands.commandLines().forEach(l::add);
      case "errorstats" -> stats.commands.errorLines().forEach(l::add);
      case "latencystats" -> stats.commands.latencyLines().forEach(l::add);
      default -> {
        // modules: Keyshard has none.
      }
    }
  }

  private void server(Session s, Lines l) {
    long now = System.currentTimeMillis();
    long uptime = (now - stats.startedAt) / 1000;
    ProcessHandle self = ProcessHandle.current();
    l.add("redis_version", ServerCommands.REDIS_VERSION)
        .add("redis_git_sha1", "00000000")
        .add("redis_git_dirty", 0)
        .add("redis_build_id", "0")
        .add("redis_mode", "standalone")
        .add("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
            + arch())
        .add("arch_bits", System.getProperty("sun.arch.data.model", "64"))
        .add("monotonic_clock", "JVM System.nanoTime")
        .add("multiplexing_api", multiplexingApi())
        .add("atomicvar_api", "java.util.concurrent.atomic")
        // Redis prints 0.0.0 when it was not built with GCC.
        .add("gcc_version", "0.0.0")
        .add("process_id", self.pid())
        .add("process_supervised", "no")
        .add("run_id", runId)
        .add("tcp_port", s.laddr.substring(s.laddr.lastIndexOf(':') + 1))
        .add("server_time_usec", micros(Instant.now()))
        .add("uptime_in_seconds", uptime)
        .add("uptime_in_days", uptime / 86400)
        .add("hz", 10)
        .add("configured_hz", 10)
        .add("lru_clock", (now / 1000) & ((1 << 24) - 1))
        .add("executable", self.info().command().orElse(""))
        .add("config_file", "")
        .add("io_threads_active", 0)
        .add("keyshard_version", KEYSHARD_VERSION);
  }

  private void clients(Lines l) {
    l.add("connected_clients", clients.size())
        .add("cluster_connections", 0)
        .add("maxclients", settings.maxClients())
        .add("client_recent_max_input_buffer", 0)
        .add("client_recent_max_output_buffer", 0)
        .add("blocked_clients", clients.all().stream().filter(c -> c.blockedOn != null).count())
        .add("tracking_clients", server.tracking().clients())
        .add("clients_in_timeout_table", 0);
  }

  /**
   * used_memory is what maxmemory is compared with: a fixed startup part
   * (MemoryAccountant.STARTUP_BYTES, used_memory_startup and the overhead) and the estimate of
   * the keys' and values' heap bytes the slots keep (used_memory_dataset;
   * docs/decisions/2026-11-22-maxmemory.md). The JVM's own view goes to the allocator fields
   * (heap plus non-heap in use, and committed) and rss (the process's resident set, or the
   * committed memory where /proc is not there).
   */
  private void memory(Lines l) {
    long used = data.used();
    long peak = peakMemory.accumulateAndGet(used, Math::max);
    long jvmUsed = jvmUsedMemory();
    long committed =
        memory.getHeapMemoryUsage().getCommitted() + memory.getNonHeapMemoryUsage().getCommitted();
    long rss = residentSetSize(committed);
    long overhead = MemoryAccountant.STARTUP_BYTES;
    long dataset = data.dataset();
    long total = totalSystemMemory();
    long max = settings.maxMemory();
    io.keyshard.node.scripting.Scripts engine = server.scriptEngine();
    l.add("used_memory", used)
        .add("used_memory_human", human(used))
        .add("used_memory_rss", rss)
        .add("used_memory_rss_human", human(rss))
        .add("used_memory_peak", peak)
        .add("used_memory_peak_human", human(peak))
        .add("used_memory_peak_perc", percent(used, peak))
        .add("used_memory_overhead", overhead)
        .add("used_memory_startup", MemoryAccountant.STARTUP_BYTES)
        .add("used_memory_dataset", dataset)
        .add("used_memory_dataset_perc", percent(dataset, used))
        .add("allocator_allocated", jvmUsed)
        .add("allocator_active", committed)
        .add("allocator_resident", rss)
        .add("total_system_memory", total)
        .add("total_system_memory_human", human(total))
        .add("used_memory_lua", 0)
        .add("used_memory_vm_eval", 0)
        .add("used_memory_lua_human", human(0))
        .add("used_memory_scripts_eval", 0)
        .add("number_of_cached_scripts", engine == null ? 0 : engine.cachedCount())
        .add("number_of_functions", engine == null ? 0 : engine.functions().functionCount())
        .add("number_of_libraries", engine == null ? 0 : engine.functions().libraries().size())
        .add("used_memory_vm_functions", 0)
        .add("used_memory_vm_total", 0)
        .add("used_memory_vm_total_human", human(0))
        .add("used_memory_functions", 0)
        .add("used_memory_scripts", 0)
        .add("used_memory_scripts_human", human(0))
        .add("maxmemory", Long.toUnsignedString(max))
        .add("maxmemory_human", human(max))
        .add("maxmemory_policy", settings.maxMemoryPolicy())
        .add("allocator_frag_ratio", ratio(committed, jvmUsed))
        .add("allocator_frag_bytes", committed - jvmUsed)
        .add("allocator_rss_ratio", ratio(rss, committed))
        .add("allocator_rss_bytes", rss - committed)
        .add("rss_overhead_ratio", ratio(rss, committed))
        .add("rss_overhead_bytes", rss - committed)
        .add("mem_fragmentation_ratio", ratio(rss, used))
        .add("mem_fragmentation_bytes", rss - used)
        .add("mem_not_counted_for_evict", 0)
        .add("mem_replication_backlog", 0)
        .add("mem_total_replication_buffers", 0)
        .add("mem_clients_slaves", 0)
        .add("mem_clients_normal", 0)
        .add("mem_cluster_links", 0)
        .add("mem_aof_buffer", 0)
        .add("mem_allocator", "jvm-" + Runtime.version().feature())
        .add("active_defrag_running", 0)
        .add("lazyfree_pending_objects", 0)
        .add("lazyfreed_objects", 0);
  }

  /**
   * Keyshard's durability is an append-only journal written before every reply, so it reports
   * itself as Redis with appendonly on (and the fields Redis adds then), synced as appendfsync
   * says (keyshard_appendfsync; keyshard_wal_syncs is RocksDB's own count of WAL syncs). The
   * rdb_* fields are SAVE's and BGSAVE's (SaveCommand): dump.rdb is written on request, never
   * loaded; rdb_changes_since_last_save counts slot events journaled since the last save's cut.
   */
  private void persistence(Lines l) {
    SaveCommand save = server.save();
    Loading load = loading.get();
    boolean active = load.active();
    l.add("loading", active ? 1 : 0)
        .add("async_loading", 0)
        .add("current_cow_peak", 0)
        .add("current_cow_size", 0)
        .add("current_cow_size_age", 0)
        .add("current_fork_perc", "0.00")
        .add("current_save_keys_processed", save.keysProcessed())
        .add("current_save_keys_total", save.keysTotal())
        .add("rdb_changes_since_last_save", save.changesSinceLastSave())
        .add("rdb_bgsave_in_progress", save.bgsaveInProgress() ? 1 : 0)
        .add("rdb_last_save_time", stats.lastSave)
        .add("rdb_last_bgsave_status", save.lastBgsaveOk() ? "ok" : "err")
        .add("rdb_last_bgsave_time_sec", save.lastBgsaveSeconds())
        .add("rdb_current_bgsave_time_sec", save.currentBgsaveSeconds())
        .add("rdb_saves", saves.get())
        .add("rdb_last_cow_size", 0)
        .add("rdb_last_load_keys_expired", 0)
        .add("rdb_last_load_keys_loaded", active ? 0 : load.keysLoaded())
        .add("aof_enabled", 1)
        .add("aof_rewrite_in_progress", 0)
        .add("aof_rewrite_scheduled", 0)
        .add("aof_last_rewrite_time_sec", -1)
        .add("aof_current_rewrite_time_sec", -1)
        .add("aof_last_bgrewrite_status", "ok")
        .add("aof_rewrites", 0)
        .add("aof_rewrites_consecutive_failures", 0)
        .add("aof_last_write_status", "ok")
        .add("aof_last_cow_size", 0)
        .add("module_fork_in_progress", 0)
        .add("module_fork_last_cow_size", 0)
        .add("aof_current_size", journalSize())
        .add("aof_base_size", 0)
        .add("aof_pending_rewrite", 0)
        .add("aof_buffer_length", 0)
        .add("aof_pending_bio_fsync", 0)
        .add("aof_delayed_fsync", 0);
    if (active) {
      // Redis's fields while it loads, in bytes of its file: here the journal's size, loaded in
      // proportion to the slots loaded.
      long total = journalSize();
      long loaded = load.slotsTotal() == 0 ? total : total * load.slotsLoaded() / load.slotsTotal();
      l.add("loading_start_time", load.startedAtSeconds())
          .add("loading_total_bytes", total)
          .add("loading_rdb_used_mem", 0)
          .add("loading_loaded_bytes", loaded)
          .add("loading_loaded_perc", String.format(Locale.ROOT, "%.2f", total == 0 ? 0.0 : 100.0 * loaded / total))
          .add("loading_eta_seconds", load.etaSeconds());
    }
    l.add("keyshard_journal", journal.name())
        .add("keyshard_appendfsync", journal.appendFsync().redisName());
    long walSyncs = journal.walSyncs();
    if (walSyncs >= 0) {
      // RocksDB's own WAL_FILE_SYNCED ticker: the fsyncs the engine made, not a count of ours.
      l.add("keyshard_wal_syncs", walSyncs);
    }
  }

  private void stats(Lines l) {
    long commands = stats.commandsProcessed.get();
    Rates.Rate r = rates.sample(commands, stats.netInputBytes.get(), stats.netOutputBytes.get());
    l.add("total_connections_received", stats.connectionsReceived.get())
        .add("total_commands_processed", commands)
        .add("instantaneous_ops_per_sec", r.opsPerSec())
        .add("total_net_input_bytes", stats.netInputBytes.get())
        .add("total_net_output_bytes", stats.netOutputBytes.get())
        .add("total_net_repl_input_bytes", 0)
        .add("total_net_repl_output_bytes", 0)
        .add("instantaneous_input_kbps", kbps(r.inputBytesPerSec()))
        .add("instantaneous_output_kbps", kbps(r.outputBytesPerSec()))
        .add("instantaneous_input_repl_kbps", "0.00")
        .add("instantaneous_output_repl_kbps", "0.00")
        .add("rejected_connections", stats.rejectedConnections.get())
        .add("sync_full", 0)
        .add("sync_partial_ok", 0)
        .add("sync_partial_err", 0)
        .add("expired_keys", data.expiredKeys())
        .add("expired_stale_perc", "0.00")
        .add("expired_time_cap_reached_count", 0)
        .add("expire_cycle_cpu_milliseconds", 0)
        .add("evicted_keys", data.evictedKeys())
        .add("evicted_clients", 0)
        .add("total_eviction_exceeded_time", 0)
        .add("current_eviction_exceeded_time", 0)
        .add("keyspace_hits", 0)
        .add("keyspace_misses", 0)
        .add("pubsub_channels", 0)
        .add("pubsub_patterns", 0)
        .add("pubsubshard_channels", 0)
        .add("latest_fork_usec", 0)
        .add("total_forks", 0)
        .add("migrate_cached_sockets", 0)
        .add("slave_expires_tracked_keys", 0)
        .add("active_defrag_hits", 0)
        .add("active_defrag_misses", 0)
        .add("active_defrag_key_hits", 0)
        .add("active_defrag_key_misses", 0)
        .add("total_active_defrag_time", 0)
        .add("current_active_defrag_time", 0)
        .add("tracking_total_keys", server.tracking().totalKeys())
        .add("tracking_total_items", server.tracking().totalItems())
        .add("tracking_total_prefixes", server.tracking().totalPrefixes())
        .add("unexpected_error_replies", 0)
        .add("total_error_replies", stats.commands.totalErrors())
        .add("dump_payload_sanitizations", 0)
        // Keyshard does not count socket reads and writes; one of each per request is what an
        // unpipelined client causes.
        .add("total_reads_processed", commands)
        .add("total_writes_processed", commands)
        .add("io_threaded_reads_processed", 0)
        .add("io_threaded_writes_processed", 0)
        .add("reply_buffer_shrinks", 0)
        .add("reply_buffer_expands", 0);
  }

  private void replication(Lines l) {
    String roles = settings.replicationInfo();
    if (roles == null) {
      l.add("role", "master").add("connected_slaves", 0);
    } else {
      l.b().append(roles);
    }
    l.add("master_failover_state", "no-failover")
        .add("master_replid", replId)
        .add("master_replid2", "0".repeat(40))
        .add("master_repl_offset", 0)
        .add("second_repl_offset", -1)
        .add("repl_backlog_active", 0)
        .add("repl_backlog_size", 1048576)
        .add("repl_backlog_first_byte_offset", 0)
        .add("repl_backlog_histlen", 0);
  }

  /** Keyshard has no main thread: the *_main_thread fields repeat the whole process's time. */
  private void cpu(Lines l) {
    double[] userSys = cpuSeconds();
    String user = String.format(Locale.ROOT, "%.6f", userSys[0]);
    String sys = String.format(Locale.ROOT, "%.6f", userSys[1]);
    l.add("used_cpu_sys", sys)
        .add("used_cpu_user", user)
        .add("used_cpu_sys_children", "0.000000")
        .add("used_cpu_user_children", "0.000000")
        .add("used_cpu_sys_main_thread", sys)
        .add("used_cpu_user_main_thread", user);
  }

  // ---- where the values come from ----

  private long jvmUsedMemory() {
    return memory.getHeapMemoryUsage().getUsed() + memory.getNonHeapMemoryUsage().getUsed();
  }

  /** VmRSS from /proc/self/status on Linux, else {@code fallback}. */
  private static long residentSetSize(long fallback) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException notLinux) {
      // Fall through.
    }
    return fallback;
  }

  /** User and system CPU seconds: /proc/self/stat on Linux, else all of it counted as user. */
  private static double[] cpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      // Fields after the parenthesised command name, which may itself contain spaces.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // utime and stime (fields 14 and 15) are in clock ticks, 100 a second on Linux.
      return new double[] {Long.parseLong(f[11]) / 100.0, Long.parseLong(f[12]) / 100.0};
    } catch (IOException | RuntimeException notLinux) {
      if (ManagementFactory.getOperatingSystemMXBean()
          instanceof OperatingSystemMXBean os) {
        return new double[] {os.getProcessCpuTime() / 1e9, 0};
      }
      return new double[] {0, 0};
    }
  }

  private static long totalSystemMemory() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof OperatingSystemMXBean os) {
      return os.getTotalMemorySize();
    }
    return 0;
  }

  /** The bytes of the journal's files under keyshard.dir: RocksDB's directory, or H2's file. */
  private long journalSize() {
    try (var files = Files.walk(settings.dir(), 2)) {
      return files
          .filter(p -> !p.equals(settings.dir()))
          .filter(p -> settings.dir().relativize(p).getName(0).toString().startsWith("journal"))
          .filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException gone) {
                  return 0;
                }
              })
          .sum();
    } catch (IOException | RuntimeException noDir) {
      return 0;
    }
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000 + t.getNano() / 1000;
  }

  private static String arch() {
    String arch = System.getProperty("os.arch");
    // uname -m's name, which is what Redis shows.
    return arch.equals("amd64") ? "x86_64" : arch;
  }

  /** The selector the JVM's NIO (and so Pekko's TCP) uses: epoll on Linux, kqueue on macOS. */
  private static String multiplexingApi() {
    String provider = SelectorProvider.provider().getClass().getSimpleName().toLowerCase(Locale.ROOT);
    for (String api : List.of("epoll", "kqueue", "poll")) {
      if (provider.contains(api)) {
        return api;
      }
    }
    return provider;
  }

  private static String keyshardVersion() {
    String v = ServerInfo.class.getPackage().getImplementationVersion();
    return v != null ? v : "0.1.0-SNAPSHOT";
  }

  private static String randomHex() {
    SecureRandom r = new SecureRandom();
    StringBuilder sb = new StringBuilder(40);
    for (int i = 0; i < 40; i++) {
      sb.append(Character.forDigit(r.nextInt(16), 16));
    }
    return sb.toString();
  }

  /** Redis's bytesToHuman: B below 1K, then two decimals and K, M, G, T, P. */
  static String human(long n) {
    if (n < 1024) {
      return n + "B";
    }
    String[] units = {"K", "M", "G", "T", "P"};
    double d = n;
    for (String unit : units) {
      d /= 1024;
      if (d < 1024 || unit.equals("P")) {
        return String.format(Locale.ROOT, "%.2f%s", d, unit);
      }
    }
    throw new AssertionError();
  }

  private static String percent(long part, long whole) {
    return String.format(Locale.ROOT, "%.2f%%", whole == 0 ? 0.0 : 100.0 * part / whole);
  }

  private static String ratio(long a, long b) {
    return String.format(Locale.ROOT, "%.2f", b == 0 ? 0.0 : (double) a / b);
  }

  private static String kbps(double bytesPerSec) {
    return String.format(Locale.ROOT, "%.2f", bytesPerSec / 1024);
  }

  /**
   * Instantaneous rates without a background sampler: each INFO that comes at least a second
   * after the previous sample measures the interval since; a quicker one repeats the last rate.
   */
  private static final class Rates {
    record Rate(long opsPerSec, double inputBytesPerSec, double outputBytesPerSec) {}

    private long at = System.nanoTime();
    private long commands;
    private long input;
    private long output;
    private Rate last = new Rate(0, 0, 0);

    synchronized Rate sample(long commandsNow, long inputNow, long outputNow) {
      long now = System.nanoTime();
      double seconds = (now - at) / 1e9;
      if (seconds >= 1) {
        last =
            new Rate(
                Math.round(Math.max(0, commandsNow - commands) / seconds),
                Math.max(0, inputNow - input) / seconds,
                Math.max(0, outputNow - output) / seconds);
        at = now;
        commands = commandsNow;
        input = inputNow;
        output = outputNow;
      }
      return last;
    }
  }
}
