package io.keyshard.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code keyshard-server [--port N] [--bind ADDR] [--dir DIR] [--config FILE] [--requirepass P] [--protected-mode yes|no] [--postgres JDBC-URL] [--appendfsync MODE]
 * [--tls-port N --tls-cert-file F --tls-key-file F --tls-ca-cert-file F --tls-auth-clients yes|no|optional]}:
 * the most used flags of redis-server; every other setting comes from the HOCON file.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    // With 2 cores the JDK's common pool has parallelism 1 and starts a thread per task; some
    // libraries still hand it callbacks (see Futures.plain). Give it real workers.
    if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
      System.setProperty(
          "java.util.concurrent.ForkJoinPool.common.parallelism",
          Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
    Map<String, Object> overrides = new HashMap<>();
    Path file = null;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--help") || flag.equals("-h")) {
        usage(0);
      }
      if (i + 1 >= args.length) {
        System.err.println("Missing value for " + flag);
        usage(1);
      }
      String value = args[++i];
      switch (flag) {
        case "--port" -> overrides.put("keyshard.port", Integer.parseInt(value));
        case "--bind" -> overrides.put("keyshard.bind", value);
        case "--dir" -> overrides.put("keyshard.dir", value);
        case "--requirepass" -> overrides.put("keyshard.requirepass", value);
        case "--protected-mode" -> overrides.put("keyshard.protected-mode", value);
        case "--postgres" -> overrides.put("keyshard.postgres.url", value);
        case "--appendfsync" -> overrides.put("keyshard.appendfsync", value);
        case "--config" -> file = Path.of(value);
        case "--tls-port", "--tls-cert-file", "--tls-key-file", "--tls-key-file-pass",
            "--tls-ca-cert-file", "--tls-auth-clients", "--tls-protocols" ->
            overrides.put("keyshard." + flag.substring(2), value);
        default -> {
          System.err.println("Unknown option " + flag);
          usage(1);
        }
      }
    }
    Config config = KeyshardNode.loadConfig(ConfigFactory.parseMap(overrides), file);
    NodeRunner runner = NodeRunner.start(config);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    runner.close();
                  } catch (Exception ignored) {
                    // Exiting anyway.
                  }
                }));
    runner.whenStopped().join();
    // SHUTDOWN, or a standalone node's system ended: the process ends with it.
    System.exit(0);
  }

  private static void usage(int code) {
    System.err.println(
        "Usage: keyshard-server [--port N] [--bind ADDR] [--dir DIR] [--config FILE]"
            + " [--requirepass PASSWORD] [--protected-mode yes|no] [--postgres JDBC-URL]\n"
            + "       [--appendfsync always|everysec|no]\n"
            + "       [--tls-port N] [--tls-cert-file PEM] [--tls-key-file PEM] [--tls-key-file-pass P]\n"
            + "       [--tls-ca-cert-file PEM] [--tls-auth-clients yes|no|optional] [--tls-protocols LIST]");
    System.exit(code);
  }
}
