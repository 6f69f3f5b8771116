package io.keyshard.tools.backup;

import io.keyshard.tools.Address;
import io.keyshard.tools.ToolException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * bin/keyshard-backup. Exit codes: 0 done (verify: the archive is whole and, with --against,
 * equal to the live data), 1 differs from --against, 2 bad arguments, 3 the archive or a file is
 * damaged or does not match, 4 the source or target refused or failed.
 */
public final class BackupTool {
  private BackupTool() {}

  static final String USAGE =
      """
      usage:
        keyshard-backup create --from ADDRESS [--out DIR] [--at TIME]
        keyshard-backup restore ARCHIVE --to ADDRESS [--replace | --skip-existing] [--skip-unsupported]
        keyshard-backup verify ARCHIVE [--against ADDRESS | --restore-test]

      ADDRESS: redis[s]://[user:pass@]host:port[/db] or host:port; any node of a cluster.
      ARCHIVE: a directory written by create, or (restore) an RDB file written by redis-server.
      create  writes each primary's consistent cut and a manifest (docs/BACKUP-FORMAT.md);
              --at TIME (2026-12-06T14:03:27Z, or Unix seconds): the dataset holding exactly
              the writes journaled before that instant, from the journal's retained window.
      restore verifies the archive, then writes every key through its slot's primary; a target
              that holds keys is refused unless --replace (overwrite) or --skip-existing (keep).
              Interrupted, the same command goes on from its last checkpoint (the state file
              ARCHIVE.restore-HOST_PORT.json beside the archive, removed at the end).
      verify  checks every checksum and recomputes every slot's digests from the archive;
              --against compares it with a live Keyshard node or cluster slot by slot and names
              the keys that differ; --restore-test restores it into a throw-away local node
              and compares the same way.
      exit codes: 0 ok, 1 differs from --against, 2 usage, 3 damaged or mismatched archive,
      4 refused or failed.
      """;

  public static void main(String[] args) {
    // The tools' own logging setup (libraries speak only of problems), under a name of its own:
    // a logback.xml in this jar would compete with the node's on the node's class path.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "keyshard-tools-logback.xml");
    }
    System.exit(run(args, System.out, System.err));
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    try {
      return execute(args, out);
    } catch (ToolException e) {
      err.println();
      err.println("keyshard-backup: " + e.getMessage());
      if (e.exitCode() == ToolException.USAGE) {
        err.print(USAGE);
      }
      return e.exitCode();
    } catch (IOException | RuntimeException e) {
      err.println();
      err.println("keyshard-backup: " + e);
      return ToolException.REFUSED;
    }
  }

  private static int execute(String[] args, PrintStream out) throws ToolException, IOException {
    if (args.length == 0) {
      throw new ToolException(ToolException.USAGE, "no command");
    }
    List<String> positional = new ArrayList<>();
    String from = null;
    String to = null;
    String dir = null;
    String against = null;
    Restore.Existing existing = Restore.Existing.REFUSE;
    boolean skipUnsupported = false;
    boolean restoreTest = false;
    long atMs = -1;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--from" -> from = value(args, ++i, "--from");
        case "--to" -> to = value(args, ++i, "--to");
        case "--out" -> dir = value(args, ++i, "--out");
        case "--against" -> against = value(args, ++i, "--against");
        case "--replace" -> existing = only(existing, Restore.Existing.REPLACE);
        case "--skip-existing" -> existing = only(existing, Restore.Existing.SKIP);
        case "--skip-unsupported" -> skipUnsupported = true;
        case "--restore-test" -> restoreTest = true;
        case "--at" -> atMs = instant(value(args, ++i, "--at"));
        default -> {
          if (args[i].startsWith("--")) {
            throw new ToolException(ToolException.USAGE, "unknown option " + args[i]);
          }
          positional.add(args[i]);
        }
      }
    }
    try {
      switch (args[0]) {
        case "create" -> {
          require(from != null && positional.isEmpty(), "create takes --from ADDRESS [--out DIR] [--at TIME]");
          Path target =
              Path.of(
                  dir != null
                      ? dir
                      : "keyshard-backup-"
                          + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(ZonedDateTime.now(ZoneOffset.UTC)));
          Create.run(Address.parse(from), target, atMs, out);
        }
        case "restore" -> {
          require(to != null && positional.size() == 1 && atMs < 0, "restore takes ARCHIVE --to ADDRESS");
          Restore.run(Path.of(positional.get(0)), Address.parse(to), existing, skipUnsupported, out);
        }
        case "verify" -> {
          require(
              positional.size() == 1 && from == null && to == null && atMs < 0 && !(restoreTest && against != null),
              "verify takes ARCHIVE [--against ADDRESS | --restore-test]");
          Manifest m = Verify.archive(Path.of(positional.get(0)));
          out.println(
              positional.get(0) + ": ok, backup " + m.backupId() + " of " + m.createdAt() + " (" + m.source().mode() + ", "
                  + m.source().nodes().size() + " node(s)), " + m.keys() + " keys in " + m.slots().size()
                  + " slot parts, DEBUG DIGEST " + m.redisDigest());
          if (against != null) {
            return Against.run(Path.of(positional.get(0)), m, Address.parse(against), out);
          }
          if (restoreTest) {
            return RestoreTest.run(Path.of(positional.get(0)), m, out);
          }
        }
        default -> throw new ToolException(ToolException.USAGE, "unknown command " + args[0]);
      }
      return 0;
    } catch (IllegalArgumentException e) {
      throw new ToolException(ToolException.USAGE, e.getMessage(), e);
    }
  }

  /** An ISO-8601 instant (2026-12-06T14:03:27Z, offsets allowed) or Unix seconds (a fraction allowed), in ms. */
  static long instant(String s) throws ToolException {
    try {
      if (s.matches("\\d+(\\.\\d{1,3})?")) {
        return new java.math.BigDecimal(s).movePointRight(3).longValueExact();
      }
      return java.time.OffsetDateTime.parse(s).toInstant().toEpochMilli();
    } catch (RuntimeException e) {
      throw new ToolException(
          ToolException.USAGE, "--at takes an ISO-8601 time such as 2026-12-06T14:03:27Z or Unix seconds, not '" + s + "'");
    }
  }

  private static Restore.Existing only(Restore.Existing was, Restore.Existing now) throws ToolException {
    if (was != Restore.Existing.REFUSE && was != now) {
      throw new ToolException(ToolException.USAGE, "--replace and --skip-existing exclude each other");
    }
    return now;
  }

  private static String value(String[] args, int i, String option) throws ToolException {
    if (i >= args.length) {
      throw new ToolException(ToolException.USAGE, option + " needs a value");
    }
    return args[i];
  }

  private static void require(boolean ok, String message) throws ToolException {
    if (!ok) {
      throw new ToolException(ToolException.USAGE, message);
    }
  }
}
