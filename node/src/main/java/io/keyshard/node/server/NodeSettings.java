package io.keyshard.node.server;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The node's settings from the {@code keyshard} block of the configuration. Fields that Redis
 * lets CONFIG SET change at run time are volatile and settable.
 */
public final class NodeSettings {
  private final String bind;
  private final int port;
  private final Path dir;
  private final Duration requestTimeout;
  private final Duration loadingWait;
  private final int pipelineDepth;
  private final int maxInflight;
  private volatile String requirePass;
  private volatile long protoMaxBulkLen;
  private volatile int maxClients;
  private volatile long idleTimeoutSeconds;
  private volatile long busyReplyThresholdMs;
  private volatile long clientQueryBufferLimit;
  private volatile OutputBufferLimits clientOutputBufferLimits;

  public NodeSettings(Config c) {
    this.bind = c.getString("bind");
    this.port = c.getInt("port");
    this.dir = Path.of(c.getString("dir")).toAbsolutePath().normalize();
    this.requestTimeout = c.getDuration("request-timeout");
    this.loadingWait = c.getDuration("loading-wait");
    this.pipelineDepth = c.getInt("pipeline-depth");
    this.maxInflight = c.getInt("max-inflight");
    String pass = c.getString("requirepass");
    this.requirePass = pass.isEmpty() ? null : pass;
    this.protoMaxBulkLen = c.getBytes("proto-max-bulk-len");
    this.maxClients = c.getInt("maxclients");
    this.idleTimeoutSeconds = c.getLong("timeout");
    this.busyReplyThresholdMs = c.getDuration("busy-reply-threshold").toMillis();
    this.clientQueryBufferLimit = c.getBytes("client-query-buffer-limit");
    OutputBufferLimits.Applied obuf =
        OutputBufferLimits.REDIS_DEFAULT.apply(c.getString("client-output-buffer-limit"));
    if (obuf.error() != null) {
      throw new IllegalArgumentException("keyshard.client-output-buffer-limit: " + obuf.error());
    }
    this.clientOutputBufferLimits = obuf.limits();
    this.clusterEnabled = c.getBoolean("cluster.enabled");
    this.tls = TlsSettings.from(c);
    this.aclUsers = List.copyOf(c.getStringList("acl.users"));
    String pubsubDefault = c.getString("acl.pubsub-default");
    if (!pubsubDefault.equals("resetchannels") && !pubsubDefault.equals("allchannels")) {
      throw new IllegalArgumentException(
          "keyshard.acl.pubsub-default: allchannels or resetchannels, not " + pubsubDefault);
    }
    this.aclPubsubDefaultAll = pubsubDefault.equals("allchannels");
    this.protectedMode = c.getBoolean("protected-mode");
    Long max = memToULL(c.getString("maxmemory"));
    if (max == null) {
      throw new IllegalArgumentException(
          "keyshard.maxmemory: not a memory value (bytes, or with a unit: 100mb, 1gb): "
              + c.getString("maxmemory"));
    }
    this.maxMemory = max;
    this.maxMemoryPolicy = c.getString("maxmemory-policy").toLowerCase(Locale.ROOT);
    if (!MAXMEMORY_POLICIES.contains(maxMemoryPolicy)) {
      throw new IllegalArgumentException(
          "keyshard.maxmemory-policy: one of " + MAXMEMORY_POLICIES + ", not " + maxMemoryPolicy);
    }
    this.enableDebugCommand = c.getString("enable-debug-command").toLowerCase(Locale.ROOT);
    if (!List.of("no", "yes", "local").contains(enableDebugCommand)) {
      throw new IllegalArgumentException(
          "keyshard.enable-debug-command: yes, no or local, not " + enableDebugCommand);
    }
    this.dbFilename = c.getString("dbfilename");
    // Redis's own check: the file goes into dir.
    if (dbFilename.isEmpty() || dbFilename.contains("/") || dbFilename.contains("\\")) {
      throw new IllegalArgumentException(
          "keyshard.dbfilename: dbfilename can't be a path, just a filename: " + dbFilename);
    }
    this.maxMemorySamples = c.getInt("maxmemory-samples");
    if (maxMemorySamples < 1) {
      throw new IllegalArgumentException("keyshard.maxmemory-samples: at least 1");
    }
  }

  /** The eviction policies Keyshard implements (Redis's LFU policies are not among them). */
  public static final List<String> MAXMEMORY_POLICIES =
      List.of(
          "noeviction", "allkeys-lru", "allkeys-random", "volatile-lru", "volatile-random",
          "volatile-ttl");

  private volatile long maxMemory;
  private volatile String maxMemoryPolicy;
  private volatile int maxMemorySamples;

  /**
   * Redis's maxmemory in bytes, 0 = no limit, compared unsigned as Redis's unsigned long long
   * (docs/decisions/2026-11-22-maxmemory.md).
   */
  public long maxMemory() {
    return maxMemory;
  }

  public void setMaxMemory(long v) {
    this.maxMemory = v;
  }

  public String maxMemoryPolicy() {
    return maxMemoryPolicy;
  }

  public void setMaxMemoryPolicy(String v) {
    this.maxMemoryPolicy = v;
  }

  public int maxMemorySamples() {
    return maxMemorySamples;
  }

  public void setMaxMemorySamples(int v) {
    this.maxMemorySamples = v;
  }

  /**
   * A byte count as Redis's memtoull reads one: digits then an optional unit, b, k (1000), kb
   * (1024), m, mb, g, gb, in any case. No sign, no spaces, no fraction; an empty string is 0.
   * Too many digits saturate at 2^64-1 and the unit's multiplication wraps, as in Redis. Null
   * when it is not a memory value.
   */
  public static Long memToULL(String v) {
    int i = 0;
    while (i < v.length() && v.charAt(i) >= '0' && v.charAt(i) <= '9') {
      i++;
    }
    long mul;
    switch (v.substring(i).toLowerCase(Locale.ROOT)) {
      case "", "b" -> mul = 1;
      case "k" -> mul = 1000;
      case "kb" -> mul = 1024;
      case "m" -> mul = 1000L * 1000;
      case "mb" -> mul = 1024L * 1024;
      case "g" -> mul = 1000L * 1000 * 1000;
      case "gb" -> mul = 1024L * 1024 * 1024;
      default -> {
        return null;
      }
    }
    if (i >= 128) {
      return null;
    }
    long n;
    try {
      n = i == 0 ? 0 : Long.parseUnsignedLong(v.substring(0, i));
    } catch (NumberFormatException overflow) {
      n = -1L; // strtoull saturates at ULLONG_MAX
    }
    return n * mul;
  }

  private final TlsSettings tls;

  /** TLS for client connections (tls-port and the other tls-* settings). */
  public TlsSettings tls() {
    return tls;
  }

  private final List<String> aclUsers;
  private final boolean aclPubsubDefaultAll;
  private final String enableDebugCommand;
  private final String dbFilename;

  /** Redis 7.0's enable-debug-command: "no" (the default), "yes" or "local" (loopback only). */
  public String enableDebugCommand() {
    return enableDebugCommand;
  }

  /** Redis's dbfilename: the file SAVE and BGSAVE write in dir. */
  public String dbFilename() {
    return dbFilename;
  }
  private volatile boolean protectedMode;

  /** ACL users from the configuration, each as ACL LIST prints one ("user alice on ..."). */
  public List<String> aclUsers() {
    return aclUsers;
  }

  /** keyshard.acl.pubsub-default: the channels of users made at start (Redis's acl-pubsub-default). */
  public boolean aclPubsubDefaultAll() {
    return aclPubsubDefaultAll;
  }

  /** Redis's protected-mode: without a default password, only loopback clients are served. */
  public boolean protectedMode() {
    return protectedMode;
  }

  public void setProtectedMode(boolean v) {
    this.protectedMode = v;
  }

  private final boolean clusterEnabled;

  public boolean clusterEnabled() {
    return clusterEnabled;
  }

  private volatile Supplier<String> clusterInfo = () -> "";

  /** Keyshard's own INFO cluster lines (cluster mode: whether this node has joined...). */
  public String clusterInfo() {
    return clusterInfo.get();
  }

  private volatile Supplier<String> replicationInfo;

  /** Cluster mode: the role lines of INFO replication (null: a primary without replicas). */
  public String replicationInfo() {
    Supplier<String> r = replicationInfo;
    return r == null ? null : r.get();
  }

  public void setReplicationInfo(Supplier<String> lines) {
    this.replicationInfo = lines;
  }

  public void setClusterInfo(Supplier<String> lines) {
    this.clusterInfo = lines;
  }

  public String bind() {
    return bind;
  }

  public int port() {
    return port;
  }

  public Path dir() {
    return dir;
  }

  /** How long a request waits for data still loading at start before it gets LOADING. */
  public Duration loadingWait() {
    return loadingWait;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  public int pipelineDepth() {
    return pipelineDepth;
  }

  public int maxInflight() {
    return maxInflight;
  }

  /** The password of the default user, or null when none is required. */
  public String requirePass() {
    return requirePass;
  }

  public void setRequirePass(String pass) {
    this.requirePass = pass == null || pass.isEmpty() ? null : pass;
  }

  public long protoMaxBulkLen() {
    return protoMaxBulkLen;
  }

  public void setProtoMaxBulkLen(long v) {
    this.protoMaxBulkLen = v;
  }

  public int maxClients() {
    return maxClients;
  }

  public void setMaxClients(int v) {
    this.maxClients = v;
  }

  /** Redis's busy-reply-threshold (lua-time-limit), in ms; 0: a script never makes others BUSY. */
  public long busyReplyThresholdMs() {
    return busyReplyThresholdMs;
  }

  public void setBusyReplyThresholdMs(long v) {
    this.busyReplyThresholdMs = v;
  }

  public long idleTimeoutSeconds() {
    return idleTimeoutSeconds;
  }

  public void setIdleTimeoutSeconds(long v) {
    this.idleTimeoutSeconds = v;
  }

  /** Redis's client-query-buffer-limit: the most unparsed input one connection may hold. */
  public long clientQueryBufferLimit() {
    return clientQueryBufferLimit;
  }

  public void setClientQueryBufferLimit(long v) {
    this.clientQueryBufferLimit = v;
  }

  /** Redis's client-output-buffer-limit; Keyshard enforces the normal class. */
  public OutputBufferLimits clientOutputBufferLimits() {
    return clientOutputBufferLimits;
  }

  public void setClientOutputBufferLimits(OutputBufferLimits v) {
    this.clientOutputBufferLimits = v;
  }
}
