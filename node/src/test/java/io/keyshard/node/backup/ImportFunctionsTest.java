package io.keyshard.node.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import io.keyshard.tools.Libraries;
import io.keyshard.tools.importer.ImportTool;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * keyshard-import copies the source's FUNCTION libraries from a redis-server 7.0.15 into a
 * Keyshard node (FUNCTION DUMP there, FUNCTION RESTORE here) before its keys, refuses a target
 * holding one of their names as it refuses one holding keys, and --verify compares them.
 */
class ImportFunctionsTest {
  private static final String LIB1 =
      "#!lua name=im1\nredis.register_function('im_get', function(keys) return redis.call('GET', keys[1]) end)";
  private static final String LIB2 = "#!lua name=im2\nredis.register_function('im_two', function() return 2 end)";
  private static final String LIB1_OTHER = "#!lua name=im1\nredis.register_function('im_get', function() return 0 end)";

  private record Run(int code, String out) {}

  private static Run tool(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    int code = ImportTool.run(args, ps, ps);
    return new Run(code, out.toString(StandardCharsets.UTF_8));
  }

  private static Map<String, String> libraries(Jedis j) {
    Map<String, String> out = new TreeMap<>();
    Libraries.read(j).values().forEach(l -> out.put(l.name(), new String(l.code(), StandardCharsets.UTF_8)));
    return out;
  }

  @Test
  void theLibrariesAreCopiedWithTheKeysPolicyAndVerified() throws Exception {
    Path work = Files.createTempDirectory("keyshard-fn-import");
    try (RedisProcess redis = RedisProcess.start();
        Jedis r = new Jedis("127.0.0.1", redis.port());
        TestNode node = TestNode.start(work.resolve("node"), Map.of());
        Jedis n = new Jedis("127.0.0.1", node.port())) {
      r.functionLoad(LIB1);
      r.functionLoad(LIB2);
      r.set("k", "imported");
      n.functionLoad(LIB1_OTHER);
      String from = "127.0.0.1:" + redis.port();
      String to = "127.0.0.1:" + node.port();
      Path state = work.resolve("state.json");

      Run refused = tool("--from", from, "--to", to, "--state", state.toString());
      assertEquals(4, refused.code(), refused.out());
      assertTrue(refused.out().contains("holds function libraries of the source's names"), refused.out());
      assertEquals(Map.of("im1", LIB1_OTHER), libraries(n));
      assertEquals(0, n.dbSize());

      Path report = work.resolve("report");
      Run verify = tool("--from", from, "--to", to, "--verify", "--report", report.toString());
      assertEquals(1, verify.code(), verify.out());
      // The key was not copied either (the run was refused before any): the libraries' two lines.
      List<String> lines = Files.readAllLines(report).stream().filter(l -> l.startsWith("functions\t")).toList();
      assertEquals(2, lines.size(), lines.toString());
      assertTrue(lines.stream().anyMatch(l -> l.startsWith("functions\t" + to + ": library im1: another code on the target (")),
          lines.toString());
      assertTrue(lines.contains("functions\t" + to + ": library im2: missing on the target"), lines.toString());

      Files.deleteIfExists(state);
      Run replace = tool("--from", from, "--to", to, "--state", state.toString(), "--replace");
      assertEquals(0, replace.code(), replace.out());
      assertTrue(replace.out().contains("copied 2 function libraries"), replace.out());
      assertEquals(Map.of("im1", LIB1, "im2", LIB2), libraries(n));
      assertEquals("imported", n.fcall("im_get", List.of("k"), List.of()));
      verify = tool("--from", from, "--to", to, "--verify", "--report", report.toString());
      assertEquals(0, verify.code(), verify.out() + Files.readString(report));

      // A library only on the target is a difference too.
      n.functionLoad("#!lua name=extra\nredis.register_function('im_extra', function() return 3 end)");
      verify = tool("--from", from, "--to", to, "--verify", "--report", report.toString());
      assertEquals(1, verify.code(), verify.out());
      assertEquals(List.of("functions\t" + to + ": library extra: only on the target"), Files.readAllLines(report));
    }
  }
}
