import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The embedded PostgreSQL of the tests for a bench (bench/migrate-slots.sh), run as a Java
 * source file: {@code BenchPostgres DATA-DIR PORT}, prints its JDBC URL, runs until killed.
 * Durable as bin/keyshard-cluster's (synchronous_commit and fsync on).
 */
public final class BenchPostgres {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setDataDirectory(dir)
            .setCleanDataDirectory(false)
            .setPort(Integer.parseInt(args[1]))
            .setServerConfig("synchronous_commit", "on")
            .setServerConfig("fsync", "on")
            .setServerConfig("max_connections", "300")
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
