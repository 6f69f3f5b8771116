package io.keyshard.node.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First start on a data directory an H2 version of Keyshard wrote ({@code journal.mv.db}, no
 * {@code journal/}): converts it into the RocksDB journal once. The conversion goes into
 * {@code journal.converting}, renamed to {@code journal} only when complete, so an interrupted
 * one starts over cleanly; the H2 file is left where it was for the operator to delete.
 */
public final class H2Upgrade {
  private static final Logger log = LoggerFactory.getLogger(H2Upgrade.class);

  private H2Upgrade() {}

  /** The H2 file of a data directory. */
  static Path h2File(Path dir) {
    return dir.resolve("journal.mv.db");
  }

  /** Converts {@code dir}'s H2 journal into {@code rocksDir} if there is one and no RocksDB journal yet. */
  public static void ifNeeded(Path dir, Path rocksDir) throws Exception {
    if (!Files.exists(h2File(dir)) || Files.exists(rocksDir)) {
      return;
    }
    Path converting = rocksDir.resolveSibling(rocksDir.getFileName() + ".converting");
    if (Files.exists(converting)) {
      log.info("A conversion of {} was interrupted; starting it over", h2File(dir));
      deleteTree(converting);
    }
    log.info("Converting the H2 journal {} to the RocksDB journal in {} (once)", h2File(dir), rocksDir);
    long started = System.nanoTime();
    // The url and user of the H2 versions (KeyshardNode before 2026-12-06).
    String url = "jdbc:h2:file:" + dir.resolve("journal") + ";WRITE_DELAY=0";
    try (JdbcJournalStore from = new JdbcJournalStore(url, "keyshard", "");
        RocksJournalStore to = new RocksJournalStore(converting)) {
      JournalConverter.convert(from, to, log::info);
    }
    Files.move(converting, rocksDir, StandardCopyOption.ATOMIC_MOVE);
    log.info(
        "H2 journal converted in {} ms. The old files ({}*) stay until you delete them; this"
            + " node no longer reads them",
        (System.nanoTime() - started) / 1_000_000,
        dir.resolve("journal."));
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
