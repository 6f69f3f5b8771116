package io.keyshard.it;

import static io.keyshard.it.BackupRoundTripTest.backup;
import static io.keyshard.it.BackupRoundTripTest.lastOutput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

/**
 * A damaged or mismatched archive is refused with a message naming the problem, by verify and
 * by restore, and the target is left as it was: a flipped byte, a truncated file, a missing
 * file, a manifest from another backup, a format this tool does not read. And an RDB file
 * written by redis-server 7.0.15 (every type and encoding, expiries) restores into Keyshard;
 * streams and function libraries included.
 */
@Timeout(600)
class BackupRefusalTest {
  static Path work;
  static NodeProcess source;
  static NodeProcess target;
  static Path good;
  static Path other;

  @BeforeAll
  static void start() throws Exception {
    work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "backup-refusal-" + System.currentTimeMillis());
    Files.createDirectories(work);
    source = NodeProcess.start(work.resolve("source"), BackupRoundTripTest.standaloneConfig(work, "source"), work.resolve("source.log"));
    target = NodeProcess.start(work.resolve("target"), BackupRoundTripTest.standaloneConfig(work, "target"), work.resolve("target.log"));
    try (Keyspace ks = new Keyspace(source.port())) {
      Dataset.load(ks, 0, "k", 300, 7);
    }
    good = work.resolve("good");
    assertEquals(0, backup("create", "--from", "127.0.0.1:" + source.port(), "--out", good.toString()), lastOutput);
    try (Jedis j = new Jedis("127.0.0.1", source.port(), 30_000)) {
      j.set("one-more", "x");
    }
    other = work.resolve("other");
    assertEquals(0, backup("create", "--from", "127.0.0.1:" + source.port(), "--out", other.toString()), lastOutput);
  }

  @AfterAll
  static void stop() throws Exception {
    if (source != null) {
      source.close();
    }
    if (target != null) {
      target.close();
    }
  }

  private static Path copy(String name) throws Exception {
    Path to = work.resolve(name);
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(good)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return to;
  }

  /** verify and restore both refuse with exit code 3 and {@code message}; the target keeps its one key. */
  private static void refused(Path archive, String message) {
    assertEquals(3, backup("verify", archive.toString()), lastOutput);
    assertTrue(lastOutput.contains(message), lastOutput);
    try (Jedis j = new Jedis("127.0.0.1", target.port(), 30_000)) {
      j.flushAll();
      j.set("marker", "untouched");
      assertEquals(3, backup("restore", archive.toString(), "--to", "127.0.0.1:" + target.port(), "--replace"), lastOutput);
      assertTrue(lastOutput.contains(message), lastOutput);
      assertEquals(1, j.dbSize(), "the target holds only what it held");
      assertEquals("untouched", j.get("marker"));
    }
  }

  @Test
  void aGoodArchiveVerifies() throws Exception {
    assertEquals(0, backup("verify", good.toString()), lastOutput);
    assertTrue(lastOutput.contains(": ok"), lastOutput);
    // --restore-test: a throw-away node (the class path bin/keyshard-backup passes), restored, compared.
    System.setProperty("keyshard.node.classpath", NodeProcess.classpath());
    assertEquals(0, backup("verify", good.toString(), "--restore-test"), lastOutput);
    assertTrue(lastOutput.contains("restore test: restored 300 keys"), lastOutput);
    assertTrue(lastOutput.contains("no key sent"), lastOutput);
  }

  @Test
  void aFlippedByteIsFound() throws Exception {
    Path a = copy("flipped");
    try (RandomAccessFile f = new RandomAccessFile(a.resolve("dump.rdb").toFile(), "rw")) {
      long at = f.length() / 2;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x10);
    }
    refused(a, "dump.rdb does not match its SHA-256");
  }

  @Test
  void aTruncatedFileIsFound() throws Exception {
    Path a = copy("truncated");
    try (RandomAccessFile f = new RandomAccessFile(a.resolve("dump.rdb").toFile(), "rw")) {
      f.setLength(f.length() - 100);
    }
    refused(a, "truncated");
  }

  @Test
  void aMissingFileIsFound() throws Exception {
    Path a = copy("missing");
    Files.delete(a.resolve("dump.rdb"));
    refused(a, "dump.rdb is missing");
    Path b = copy("no-manifest");
    Files.delete(b.resolve("manifest.json"));
    refused(b, "manifest.json is missing");
  }

  @Test
  void aManifestOfAnotherBackupIsFound() throws Exception {
    Path a = copy("mixed");
    Files.copy(other.resolve("manifest.json"), a.resolve("manifest.json"), StandardCopyOption.REPLACE_EXISTING);
    refused(a, "files of two backups mixed");
  }

  @Test
  void anotherFormatVersionIsRefused() throws Exception {
    Path a = copy("format");
    Path m = a.resolve("manifest.json");
    Files.writeString(m, Files.readString(m).replaceFirst("\"format\" : 1", "\"format\" : 2"));
    refused(a, "archive format version 2");
  }

  @Test
  void verifyAgainstALiveNodeNamesTheKeysThatDiffer() throws Exception {
    try (Jedis t = new Jedis("127.0.0.1", target.port(), 30_000)) {
      t.flushAll();
      assertEquals(0, backup("restore", other.toString(), "--to", "127.0.0.1:" + target.port()), lastOutput);
      assertEquals(0, backup("verify", other.toString(), "--against", "127.0.0.1:" + target.port()), lastOutput);
      assertTrue(lastOutput.contains("no key sent"), lastOutput);
      t.set("k:0", "changed"); // a string without a TTL
      t.pexpire("k:1", 99_000_000); // a list with a TTL: another expiry, the same value
      t.del("k:2");
      t.select(4);
      t.set("new-key", "x");
      assertEquals(1, backup("verify", other.toString(), "--against", "127.0.0.1:" + target.port()), lastOutput);
      assertTrue(lastOutput.contains("1 keys missing there, 1 extra, 1 with another value, 1 with another expiry"), lastOutput);
      assertTrue(lastOutput.contains("missing on the live side:\n    k:2"), lastOutput);
      assertTrue(lastOutput.contains("only on the live side:\n    db4 new-key"), lastOutput);
      assertTrue(lastOutput.contains("another type or value:\n    k:0"), lastOutput);
      assertTrue(lastOutput.contains("another expiry:\n    k:1 (backup "), lastOutput);
    }
  }

  @Test
  void anRdbFileOfRedisServerRestores() throws Exception {
    Path dir = Files.createDirectories(work.resolve("redis"));
    Map<String, Keyspace.Read> expected;
    try (RedisServer redis = RedisServer.start(dir, "--dbfilename", "redis.rdb");
        Keyspace ks = new Keyspace(redis.port);
        Jedis j = redis.client()) {
      Dataset.load(ks, 0, "r", 600, 11);
      Dataset.load(ks, 2, "s", 60, 12);
      j.select(0);
      j.set("gone", "x");
      j.sendCommand(() -> "DEBUG".getBytes(), "SET-ACTIVE-EXPIRE", "0");
      j.pexpire("gone", 100);
      Thread.sleep(300); // expired, untouched since, so still in the file: a restore leaves it out
      // A stream is restored like any key, and the function library is loaded on the target.
      j.xadd("a-stream", StreamEntryID.NEW_ENTRY, Map.of("f", "v"));
      j.sendCommand(() -> "FUNCTION".getBytes(), "LOAD", "#!lua name=mylib\nredis.register_function('f', function() return 1 end)");
      assertEquals("OK", j.save());
      expected = ks.read(0);
      assertTrue(expected.containsKey("a-stream") && !expected.containsKey("gone"), expected.keySet().toString());
      try (Jedis t = new Jedis("127.0.0.1", target.port(), 30_000)) {
        t.flushAll();
        t.sendCommand(() -> "FUNCTION".getBytes(), "FLUSH");
        Path rdb = dir.resolve("redis.rdb");
        assertEquals(0, backup("restore", rdb.toString(), "--to", "127.0.0.1:" + target.port()), lastOutput);
        assertTrue(lastOutput.contains("1 already expired, left out"), lastOutput);
        assertEquals(1L, t.fcall("f", List.of(), List.of()), "the library of the file is loaded");
        t.sendCommand(() -> "FUNCTION".getBytes(), "FLUSH"); // the other tests' target holds none
        try (Keyspace restored = new Keyspace(target.port())) {
          assertEquals(List.of(), Keyspace.differences(expected, restored.read(0), 1000));
          Map<String, Keyspace.Read> db2 = ks.read(2);
          assertEquals(List.of(), Keyspace.differences(db2, restored.read(2), 1000));
        }
      }
    }
  }
}
