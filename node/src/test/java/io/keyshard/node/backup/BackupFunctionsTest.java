package io.keyshard.node.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import io.keyshard.tools.Libraries;
import io.keyshard.tools.backup.BackupTool;
import io.keyshard.tools.backup.Backups;
import io.keyshard.tools.backup.Manifest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * keyshard-backup carries a node's function libraries: create puts them in dump.rdb and the
 * manifest, verify checks them from the archive and against the live node, restore loads them
 * (refused, --skip-existing, --replace as for keys), a redis-server RDB file's libraries are
 * restored too, and an --at backup says its libraries are not of that instant.
 */
class BackupFunctionsTest {
  private static final String LIB1 =
      "#!lua name=bk1\nredis.register_function('bk_get', function(keys) return redis.call('GET', keys[1]) end)";
  private static final String LIB2 =
      "#!lua name=bk2\nredis.register_function{function_name='bk_two', callback=function() return 2 end, flags={'no-writes'}}";
  private static final String LIB1_OTHER =
      "#!lua name=bk1\nredis.register_function('bk_get', function(keys) return 'not the backup' end)";

  /** keyshard-backup with these arguments: the exit code and everything it printed. */
  private record Run(int code, String out) {}

  private static Run tool(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    int code = BackupTool.run(args, ps, ps);
    return new Run(code, out.toString(StandardCharsets.UTF_8));
  }

  private static Map<String, String> libraries(Jedis j) {
    Map<String, String> out = new TreeMap<>();
    Libraries.read(j).values().forEach(l -> out.put(l.name(), new String(l.code(), StandardCharsets.UTF_8)));
    return out;
  }

  private static void load(Jedis j, String code) {
    j.functionLoad(code);
  }

  @Test
  void aBackupCarriesTheLibrariesAndARestoreLoadsThem() throws Exception {
    Path work = Files.createTempDirectory("keyshard-fn-backup");
    try (TestNode source = TestNode.start(work.resolve("source"), Map.of());
        TestNode fresh = TestNode.start(work.resolve("fresh"), Map.of());
        TestNode other = TestNode.start(work.resolve("other"), Map.of());
        Jedis s = new Jedis("127.0.0.1", source.port());
        Jedis f = new Jedis("127.0.0.1", fresh.port());
        Jedis o = new Jedis("127.0.0.1", other.port())) {
      load(s, LIB1);
      load(s, LIB2);
      s.set("k", "v");
      String from = "127.0.0.1:" + source.port();
      Path archive = work.resolve("archive");
      Run create = tool("create", "--from", from, "--out", archive.toString());
      assertEquals(0, create.code(), create.out());
      assertTrue(create.out().contains("2 function libraries"), create.out());

      Manifest m = Backups.verify(archive);
      assertEquals(2, m.functions().libraries().size());
      assertTrue(m.functions().libraries().stream().allMatch(l -> l.inData() && l.nodes().equals(List.of("standalone"))));
      assertEquals(List.of(), m.functions().disagreeing());
      assertEquals(Libraries.sha256(LIB1.getBytes(StandardCharsets.UTF_8)), m.functions().libraries().get(0).sha256());

      Run against = tool("verify", archive.toString(), "--against", from);
      assertEquals(0, against.code(), against.out());
      assertTrue(against.out().contains("2 function libraries compared"), against.out());
      // A library deleted on the live node, and one changed: named, exit 1.
      s.functionDelete("bk2");
      s.functionLoadReplace(LIB1_OTHER);
      against = tool("verify", archive.toString(), "--against", from);
      assertEquals(1, against.code(), against.out());
      assertTrue(against.out().contains("library bk2: missing on the live node"), against.out());
      assertTrue(against.out().contains("library bk1: another code on the live node"), against.out());

      // Into a fresh node: the libraries as they were in the backup, callable.
      Run restore = tool("restore", archive.toString(), "--to", "127.0.0.1:" + fresh.port());
      assertEquals(0, restore.code(), restore.out());
      assertEquals(Map.of("bk1", LIB1, "bk2", LIB2), libraries(f));
      assertEquals("v", f.fcall("bk_get", List.of("k"), List.of()));
      assertEquals(0, tool("verify", archive.toString(), "--against", "127.0.0.1:" + fresh.port()).code());

      // A target holding a library of the backup's name is refused, as one holding keys.
      load(o, LIB1_OTHER);
      Run refused = tool("restore", archive.toString(), "--to", "127.0.0.1:" + other.port());
      assertEquals(4, refused.code(), refused.out());
      assertTrue(refused.out().contains("holds function libraries of the backup's names"), refused.out());
      assertEquals(Map.of("bk1", LIB1_OTHER), libraries(o));
      assertEquals(0, o.dbSize());
      // --skip-existing keeps its own bk1 and adds bk2; --replace puts the backup's bk1.
      Run skip = tool("restore", archive.toString(), "--to", "127.0.0.1:" + other.port(), "--skip-existing");
      assertEquals(0, skip.code(), skip.out());
      assertEquals(Map.of("bk1", LIB1_OTHER, "bk2", LIB2), libraries(o));
      Run replace = tool("restore", archive.toString(), "--to", "127.0.0.1:" + other.port(), "--replace");
      assertEquals(0, replace.code(), replace.out());
      assertEquals(Map.of("bk1", LIB1, "bk2", LIB2), libraries(o));

      // An archive whose manifest was edited no longer verifies.
      Path manifest = archive.resolve(Manifest.FILE);
      String text = Files.readString(manifest);
      Files.writeString(manifest, text.replace("\"bk2\"", "\"bk3\""));
      Run damaged = tool("verify", archive.toString());
      assertEquals(3, damaged.code(), damaged.out());
      assertTrue(damaged.out().contains("function libraries"), damaged.out());
    }
  }

  @Test
  void anRdbFileOfRedisRestoresItsLibrariesAndAnAtBackupSaysWhenItsWereRead() throws Exception {
    Path work = Files.createTempDirectory("keyshard-fn-rdb");
    try (RedisProcess redis = RedisProcess.start("--dir", work.toString(), "--dbfilename", "redis.rdb");
        Jedis r = new Jedis("127.0.0.1", redis.port());
        TestNode node = TestNode.start(work.resolve("node"), Map.of());
        Jedis n = new Jedis("127.0.0.1", node.port())) {
      load(r, LIB1);
      load(r, LIB2);
      r.set("k", "from redis");
      assertEquals("OK", r.save());
      Run restore = tool("restore", work.resolve("redis.rdb").toString(), "--to", "127.0.0.1:" + node.port());
      assertEquals(0, restore.code(), restore.out());
      assertTrue(restore.out().contains("2 function libraries"), restore.out());
      assertEquals(Map.of("bk1", LIB1, "bk2", LIB2), libraries(n));
      assertEquals("from redis", n.fcall("bk_get", List.of("k"), List.of()));

      // A backup of an earlier instant: the keys of then, the libraries of now (not journaled).
      long at = System.currentTimeMillis();
      Thread.sleep(1100);
      n.functionDelete("bk2");
      n.set("k", "later");
      Path archive = work.resolve("at");
      Run create = tool("create", "--from", "127.0.0.1:" + node.port(), "--out", archive.toString(),
          "--at", Instant.ofEpochMilli(at).toString());
      assertEquals(0, create.code(), create.out());
      Manifest m = Backups.verify(archive);
      assertEquals(List.of("bk1"), m.functions().libraries().stream().map(Manifest.Library::name).toList());
      assertTrue(m.functions().readAt().contains("not as they were at 'at'"), m.functions().readAt());
      assertEquals(1, m.keys());
    }
  }
}
