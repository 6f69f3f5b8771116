package io.keyshard.tools.importer;

import io.keyshard.tools.Address;
import io.keyshard.tools.ToolException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * bin/keyshard-import. Exit codes: 0 done (--verify: no difference), 1 --verify found differences,
 * 2 bad arguments, 3 a damaged state file, 4 the source or target refused or failed (run the same
 * command again to go on).
 */
public final class ImportTool {
  private ImportTool() {}

  static final String USAGE =
      """
      usage:
        keyshard-import --from ADDRESS --to ADDRESS [--replace | --skip-existing] [--state FILE] [--rate KEYS_PER_S] [--connections N]
        keyshard-import --from ADDRESS --to ADDRESS --live [--replace] [--state FILE] [--rate KEYS_PER_S] [--connections N]
        keyshard-import --from ADDRESS --to ADDRESS --verify [--report FILE]

      ADDRESS: redis[s]://[user:pass@]host:port[/db] or host:port; any node of a cluster. A /db in
               --from copies that database only (default: all); in --to, writes into it.
      Copies every key: DUMP/RESTORE where the source has DUMP and its payloads are Redis 7.0's or
      older, else by type (GET, HGETALL, LRANGE, SMEMBERS, ZRANGE); keys of more than 5,000
      elements (or 8 MB strings) in chunks, over N connections to each side (default 4). A target holding keys is refused unless --replace
      (overwrite) or --skip-existing (keep). Interrupted, the same command goes on from its state
      file (default: .keyshard-import-<from>-<to>.json here). --verify compares every key (type,
      value digest, expiry within 2 s) and lists the differences in the report file.
      FUNCTION libraries are copied first (FUNCTION DUMP on each source primary, FUNCTION RESTORE
      on every target primary, with the keys' policy) where the source has FUNCTION; --verify
      compares them too.
      --live follows the source until stopped (Ctrl-C): as a replica where it accepts PSYNC
      (Redis, Valkey, KeyDB: its RDB, then every key a write names is copied again), else by its
      keyspace notifications (turned on if off). The progress line shows the lag. Stop the
      writers, wait for "caught up", switch the clients, then stop it.
      exit codes: 0 ok, 1 differences, 2 usage, 3 damaged state file, 4 refused or failed.
      """;

  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "keyshard-tools-logback.xml");
    }
    System.exit(run(args, System.out, System.err));
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    try {
      return execute(args, out, err);
    } catch (ToolException e) {
      err.println();
      err.println("keyshard-import: " + e.getMessage());
      if (e.exitCode() == ToolException.USAGE) {
        err.print(USAGE);
      }
      return e.exitCode();
    } catch (IOException | RuntimeException e) {
      err.println();
      err.println("keyshard-import: " + e);
      return ToolException.REFUSED;
    }
  }

  private static int execute(String[] args, PrintStream out, PrintStream err) throws ToolException, IOException {
    String from = null;
    String to = null;
    String state = null;
    String report = null;
    long rate = 0;
    int connections = 4;
    boolean verify = false;
    boolean live = false;
    TargetWriter.Existing existing = TargetWriter.Existing.REFUSE;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--from" -> from = value(args, ++i);
        case "--to" -> to = value(args, ++i);
        case "--state" -> state = value(args, ++i);
        case "--report" -> report = value(args, ++i);
        case "--rate" -> {
          try {
            rate = Long.parseLong(value(args, ++i));
          } catch (NumberFormatException e) {
            rate = -1;
          }
          if (rate <= 0) {
            throw new ToolException(ToolException.USAGE, "--rate takes a number of keys per second");
          }
        }
        case "--connections" -> {
          try {
            connections = Integer.parseInt(value(args, ++i));
          } catch (NumberFormatException e) {
            connections = -1;
          }
          if (connections < 1 || connections > 64) {
            throw new ToolException(ToolException.USAGE, "--connections takes a number from 1 to 64");
          }
        }
        case "--verify" -> verify = true;
        case "--live" -> live = true;
        case "--replace" -> existing = only(existing, TargetWriter.Existing.REPLACE);
        case "--skip-existing" -> existing = only(existing, TargetWriter.Existing.SKIP);
        default -> throw new ToolException(ToolException.USAGE, "unknown argument " + args[i]);
      }
    }
    if (from == null || to == null) {
      throw new ToolException(ToolException.USAGE, "--from and --to are needed");
    }
    Address source;
    Address target;
    try {
      source = Address.parse(from);
      target = Address.parse(to);
    } catch (IllegalArgumentException e) {
      throw new ToolException(ToolException.USAGE, e.getMessage(), e);
    }
    String name = ".keyshard-import-" + tag(source + " " + target);
    if (verify) {
      ImportVerify.Result r =
          ImportVerify.run(source, target, Path.of(report != null ? report : name + ".report"), out);
      return r.differing() == 0 ? 0 : 1;
    }
    Path stateFile = Path.of(state != null ? state : name + ".json");
    if (live) {
      return live(source, target, existing, stateFile, rate, connections, out, err);
    }
    ImportRun.run(source, target, existing, stateFile, rate, connections, out);
    return 0;
  }

  /**
   * A live import runs until stopped: Ctrl-C or a plain kill finishes the batch under way and
   * writes the position first, and the process then exits 0 (or 4 if it failed meanwhile).
   */
  private static int live(
      Address source, Address target, TargetWriter.Existing existing, Path stateFile, long rate, int connections,
      PrintStream out, PrintStream err)
      throws IOException {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch ended = new CountDownLatch(1);
    AtomicInteger code = new AtomicInteger(ToolException.REFUSED);
    Thread hook =
        new Thread(() -> {
          stop.set(true);
          try {
            if (ended.await(30, TimeUnit.SECONDS)) {
              out.flush();
              err.flush();
              Runtime.getRuntime().halt(code.get()); // the signal's own status would say it failed
            }
          } catch (InterruptedException ignored) {
            // exiting anyway
          }
        });
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      LiveImport.run(source, target, existing, stateFile, rate, connections, out, stop);
      code.set(0);
    } catch (ToolException e) {
      err.println();
      err.println("keyshard-import: " + e.getMessage());
      code.set(e.exitCode());
    } finally {
      ended.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it ends the process now
      }
    }
    return code.get();
  }

  /** A short name for a pair of addresses, for the default state and report files. */
  private static String tag(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 6; i++) {
        sb.append(String.format("%02x", d[i]));
      }
      return sb.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static TargetWriter.Existing only(TargetWriter.Existing was, TargetWriter.Existing now) throws ToolException {
    if (was != TargetWriter.Existing.REFUSE && was != now) {
      throw new ToolException(ToolException.USAGE, "--replace and --skip-existing exclude each other");
    }
    return now;
  }

  private static String value(String[] args, int i) throws ToolException {
    if (i >= args.length) {
      throw new ToolException(ToolException.USAGE, args[i - 1] + " needs a value");
    }
    return args[i];
  }
}
