package io.keyshard.node.journal;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code keyshard-journal convert --from <dir|jdbc-url> --to <dir|jdbc-url> [--user U]
 * [--password P]}: copies a journal into an empty one (embedded RocksDB <-> PostgreSQL; an H2
 * data directory of earlier versions as a source too). A directory is a node's keyshard.dir.
 * The node using either side must be stopped (RocksDB's lock, PostgreSQL's advisory lock).
 */
public final class JournalTool {
  private JournalTool() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || !args[0].equals("convert")) {
      usage();
    }
    String from = null;
    String to = null;
    String user = "keyshard";
    String password = "";
    for (int i = 1; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--from" -> from = args[i + 1];
        case "--to" -> to = args[i + 1];
        case "--user" -> user = args[i + 1];
        case "--password" -> password = args[i + 1];
        default -> usage();
      }
    }
    if (from == null || to == null) {
      usage();
    }
    convert(from, to, user, password);
  }

  /** Runs one conversion; progress goes to standard output. */
  public static long convert(String from, String to, String user, String password) throws Exception {
    try (JournalStore source = open(from, user, password, false);
        JournalStore target = open(to, user, password, true)) {
      return JournalConverter.convert(source, target, System.out::println);
    }
  }

  private static JournalStore open(String where, String user, String password, boolean target)
      throws Exception {
    if (where.startsWith("jdbc:")) {
      JdbcJournalStore store = new JdbcJournalStore(where, user, password);
      if (target) {
        store.createTables();
      }
      return store;
    }
    Path dir = Path.of(where).toAbsolutePath().normalize();
    Path rocks = dir.resolve("journal");
    if (!target && !Files.exists(rocks) && Files.exists(H2Upgrade.h2File(dir))) {
      return new JdbcJournalStore("jdbc:h2:file:" + rocks + ";WRITE_DELAY=0", "keyshard", "");
    }
    if (!target && !Files.exists(rocks)) {
      throw new IllegalArgumentException(dir + " holds no journal");
    }
    Files.createDirectories(dir);
    return new RocksJournalStore(rocks);
  }

  private static void usage() {
    System.err.println(
        "Usage: keyshard-journal convert --from <data-dir|jdbc-url> --to <data-dir|jdbc-url>"
            + " [--user USER] [--password PASSWORD]");
    System.exit(2);
  }
}
