package io.keyshard.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Keyshard node in its own JVM ({@code io.keyshard.node.Main}), started on a free loopback port
 * over a data directory, with its stdout and stderr in a log file. {@link #kill} is kill -9,
 * {@link #stop} is SIGTERM (the node's shutdown hook runs).
 */
final class NodeProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Process process;
  private final int port;
  private final Path log;
  private final Thread reaper;

  private NodeProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
    // If the test JVM goes away without @AfterEach (Ctrl-C, surefire timeout), take the node too.
    this.reaper = new Thread(process::destroyForcibly, "reap-keyshard-node-" + port);
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /**
   * Starts a node over {@code dir}, with {@code config} (a HOCON file, may be null) over the
   * defaults, and returns once it answers PING on its port.
   */
  static NodeProcess start(Path dir, Path config, Path log) throws Exception {
    return start(dir, config, log, List.of());
  }

  /** As {@link #start(Path, Path, Path)}, with extra JVM options (system properties). */
  static NodeProcess start(Path dir, Path config, Path log, List<String> jvmOptions)
      throws Exception {
    // The port is free when chosen but someone else may take it first: try a few.
    IllegalStateException last = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      int port = freePort();
      Path attemptLog = attempt == 1 ? log : Path.of(log + "." + attempt);
      try {
        return tryStart(dir, config, port, attemptLog, jvmOptions);
      } catch (PortTaken e) {
        last = e;
      }
    }
    throw last;
  }

  /**
   * Starts a node on a given port (cluster mode: its seeds name it), without waiting for it;
   * {@link #awaitReady} waits. Cluster nodes start together, so each may wait for the others.
   */
  static NodeProcess launch(Path dir, Path config, int port, Path log) throws Exception {
    return launch(dir, config, port, log, List.of());
  }

  /** As {@link #launch(Path, Path, int, Path)}, with extra JVM options (system properties). */
  static NodeProcess launch(Path dir, Path config, int port, Path log, List<String> jvmOptions)
      throws Exception {
    Files.createDirectories(log.getParent());
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.addAll(extraOptions());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(classpath());
    cmd.add("io.keyshard.node.Main");
    cmd.addAll(List.of("--port", Integer.toString(port), "--dir", dir.toString()));
    cmd.addAll(List.of("--config", config.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new NodeProcess(p, port, log);
  }

  /** NODE_JVM_OPTS from the environment (bench/failover.sh: a profiler, say). */
  private static List<String> extraOptions() {
    String extra = System.getenv("NODE_JVM_OPTS");
    return extra == null || extra.isBlank() ? List.of() : List.of(extra.trim().split("\\s+"));
  }

  private static NodeProcess tryStart(
      Path dir, Path config, int port, Path log, List<String> jvmOptions) throws Exception {
    Files.createDirectories(log.getParent());
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.addAll(extraOptions());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(classpath());
    cmd.add("io.keyshard.node.Main");
    cmd.addAll(List.of("--port", Integer.toString(port), "--dir", dir.toString()));
    if (config != null) {
      cmd.addAll(List.of("--config", config.toString()));
    }
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    NodeProcess node = new NodeProcess(p, port, log);
    try {
      node.awaitReady();
      return node;
    } catch (Exception | Error e) {
      node.close();
      throw e;
    }
  }

  void awaitReady() throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        String out = logText();
        if (out.contains("Address already in use")) {
          throw new PortTaken(port, out);
        }
        throw new IllegalStateException(
            "node exited with " + process.exitValue() + " before it was ready; log " + log
                + ":\n" + tail(out));
      }
      // PING, not the log line: the node must answer, whatever its logging does.
      if (answersPing()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        "node not ready on port " + port + " within " + START_TIMEOUT + "; log " + log + ":\n"
            + tail(logText()));
  }

  private boolean answersPing() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] reply = s.getInputStream().readNBytes(7);
      return "+PONG\r\n".equals(new String(reply, StandardCharsets.US_ASCII));
    } catch (IOException notYet) {
      return false;
    }
  }

  int port() {
    return port;
  }

  Path log() {
    return log;
  }

  long pid() {
    return process.pid();
  }

  /** kill -9: no shutdown hook, no flush, nothing. Returns once the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("node " + process.pid() + " survived kill -9");
    }
  }

  /** SIGTERM, then waits for the JVM to exit; returns its exit code (143 after SIGTERM). */
  int stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          "node " + process.pid() + " did not exit within " + timeout + " of SIGTERM; log " + log);
    }
    return process.exitValue();
  }

  /** Waits for the JVM to exit by itself (a crash point); true if it did. */
  boolean waitForExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String logText() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  static String tail(String text) {
    String[] lines = text.split("\n");
    int from = Math.max(0, lines.length - 40);
    return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
  }

  /** Always safe to call: kills the process if it still runs. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive() && !extraOptions().isEmpty()) {
      // A profiler's recording is written at a normal exit.
      process.destroy();
      process.waitFor(20, TimeUnit.SECONDS);
    }
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // The hook runs anyway.
    }
  }

  private static String classpath;

  /**
   * The node's class path: the file Maven wrote (see this module's pom), or this JVM's own class
   * path when run outside Maven (an IDE puts the dependencies there). Keyshard's own entries are
   * copied first (see {@link #snapshot}).
   */
  static synchronized String classpath() throws IOException {
    if (classpath == null) {
      String file = System.getProperty("keyshard.node.classpath.file");
      String cp =
          file != null && Files.isRegularFile(Path.of(file))
              ? Files.readString(Path.of(file), StandardCharsets.UTF_8).trim()
              : System.getProperty("java.class.path");
      classpath = snapshot(cp);
    }
    return classpath;
  }

  /**
   * Copies the class path entries that a concurrent build may rewrite (Keyshard's jars in
   * node/target or ~/.m2, class directories) to a directory of this run. A node loads classes
   * lazily: when its jar was replaced under it by another build, the first SET failed with
   * NoClassDefFoundError and pekko.jvm-exit-on-fatal-error took the JVM down.
   */
  private static String snapshot(String cp) throws IOException {
    Path base = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"));
    Path dir = base.resolve("classpath-" + System.currentTimeMillis()).toAbsolutePath();
    List<String> out = new ArrayList<>();
    int n = 0;
    for (String entry : cp.split(java.io.File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      Path p = Path.of(entry);
      String name = p.getFileName() == null ? "" : p.getFileName().toString();
      boolean ours = Files.isDirectory(p) || name.startsWith("keyshard-");
      if (!ours || !Files.exists(p)) {
        out.add(entry);
        continue;
      }
      Path copy = dir.resolve((n++) + "-" + name);
      copyTree(p, copy);
      out.add(copy.toString());
    }
    return String.join(java.io.File.pathSeparator, out);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(f, target);
        }
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static final class PortTaken extends IllegalStateException {
    PortTaken(int port, String log) {
      super("port " + port + " was taken before the node bound it:\n" + tail(log));
    }
  }
}
