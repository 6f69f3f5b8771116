package io.keyshard.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code keyshard-server [--port N] [--bind ADDR] [--dir DIR] [--config FILE] [--requirepass P] [--protected-mode yes|no] [--postgres JDBC-URL]}:
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
        case "--config" -> file = Path.of(value);
        default -> {
          System.err.println("Unknown option " + flag);
          usage(1);
        }
      }
    }
    Config config = KeyshardNode.loadConfig(ConfigFactory.parseMap(overrides), file);
    KeyshardNode node = KeyshardNode.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    node.system().getWhenTerminated().thenRun(stopped::countDown);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    node.close();
                  } catch (Exception ignored) {
                    // Exiting anyway.
                  }
                }));
    stopped.await();
  }

  private static void usage(int code) {
    System.err.println(
        "Usage: keyshard-server [--port N] [--bind ADDR] [--dir DIR] [--config FILE]"
            + " [--requirepass PASSWORD] [--protected-mode yes|no] [--postgres JDBC-URL]");
    System.exit(code);
  }
}
