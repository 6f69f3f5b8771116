package io.keyshard.it;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A PostgreSQL for trying a local cluster (bin/keyshard-cluster), from the same Maven artifact
 * the tests use: {@code LocalPostgres DATA-DIR PORT} starts it over DATA-DIR (kept between runs),
 * prints its JDBC URL and runs until killed.
 */
public final class LocalPostgres {
  private LocalPostgres() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setDataDirectory(dir)
            .setCleanDataDirectory(false)
            .setPort(Integer.parseInt(args[1]))
            // zonky turns synchronous_commit off for speed; a commit must wait for its WAL flush
            // here, or a cluster on it is not durable (Keyshard's own connections also ask for it
            // when appendfsync is always, the default).
            .setServerConfig("synchronous_commit", "on")
            // zonky also starts the server with -F (fsync off), which makes that wait an empty
            // one: the flush never reaches the disk. A later -c fsync=on overrides -F.
            .setServerConfig("fsync", "on")
            .start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        pg.close();
      } catch (Exception ignored) {
        // exiting anyway
      }
    }));
    System.out.println(pg.getJdbcUrl("postgres", "postgres"));
    System.out.flush();
    Thread.currentThread().join();
  }
}
