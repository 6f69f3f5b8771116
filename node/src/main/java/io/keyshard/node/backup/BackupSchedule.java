package io.keyshard.node.backup;

import io.keyshard.tools.Address;
import io.keyshard.tools.backup.Backups;
import io.keyshard.tools.backup.Manifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backups on a schedule ({@code keyshard.backup.every}, like Redis's save lines but a backup
 * archive, docs/BACKUP-FORMAT.md): every interval a `keyshard-backup create` through this node's
 * own RESP port into {@code keyshard.backup.dir}, verified right after, and only the newest
 * {@code keep} archives kept. It runs as a Pekko cluster singleton, so in a cluster exactly one
 * node takes the backups (the oldest member); when that node goes, the next oldest takes over
 * and writes into its own backup directory (docs/decisions/2026-12-07-backup-tool.md).
 */
public final class BackupSchedule {
  private BackupSchedule() {}

  private static final Logger log = LoggerFactory.getLogger(BackupSchedule.class);

  /** The archives this schedule writes are named so; only those are pruned. */
  static final String PREFIX = "keyshard-backup-";

  private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'");

  public record Settings(Duration every, Path dir, int keep, Address self) {}

  public sealed interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record Finished(Throwable failure) implements Command {}

  public static Behavior<Command> create(Settings settings, Executor blocking) {
    return Behaviors.withTimers(
        timers -> {
          timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.every());
          log.info(
              "Backups every {} into {}, keeping {} (this node runs the schedule)", settings.every(), settings.dir(), settings.keep());
          return idle(settings, blocking);
        });
  }

  private static Behavior<Command> idle(Settings settings, Executor blocking) {
    return Behaviors.receive(Command.class)
        .onMessageEquals(
            Tick.INSTANCE,
            () ->
                Behaviors.setup(
                    ctx -> {
                      ctx.pipeToSelf(
                          CompletableFuture.runAsync(() -> runOnce(settings), blocking),
                          (v, t) -> new Finished(t));
                      return running(settings, blocking);
                    }))
        .build();
  }

  /** One backup at a time: a tick during a long one is skipped. */
  private static Behavior<Command> running(Settings settings, Executor blocking) {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.INSTANCE, Behaviors::same)
        .onMessage(
            Finished.class,
            f -> {
              if (f.failure() != null) {
                log.warn("Scheduled backup failed: {}", String.valueOf(f.failure().getCause() != null ? f.failure().getCause() : f.failure()));
              }
              return idle(settings, blocking);
            })
        .build();
  }

  static void runOnce(Settings s) {
    try {
      Files.createDirectories(s.dir());
      Path out = s.dir().resolve(PREFIX + NAME.format(ZonedDateTime.now(ZoneOffset.UTC)));
      ByteArrayOutputStream report = new ByteArrayOutputStream();
      long t0 = System.nanoTime();
      Manifest m = Backups.create(s.self(), out, new PrintStream(report, true, StandardCharsets.UTF_8));
      Backups.verify(out);
      log.info(
          "Scheduled backup {} written and verified: {} keys in {} ms", out, m.keys(), (System.nanoTime() - t0) / 1_000_000);
      prune(s.dir(), s.keep());
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** Deletes this schedule's archives beyond the newest {@code keep}. */
  static void prune(Path dir, int keep) throws IOException {
    List<Path> archives;
    try (Stream<Path> s = Files.list(dir)) {
      archives =
          s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && !p.getFileName().toString().endsWith(".partial"))
              .filter(Files::isDirectory)
              .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed())
              .toList();
    }
    for (Path old : archives.subList(Math.min(keep, archives.size()), archives.size())) {
      try (Stream<Path> walk = Files.walk(old)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
      log.info("Removed the backup {} (keeping the newest {})", old, keep);
    }
  }
}
