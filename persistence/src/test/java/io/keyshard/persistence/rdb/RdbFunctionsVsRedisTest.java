package io.keyshard.persistence.rdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Function libraries in RDB files, against redis-server 7.0.15: a file RdbFileWriter writes with
 * libraries passes redis-check-rdb and a redis-server started on it holds them (FUNCTION LIST
 * WITHCODE, FCALL); the libraries of a file redis-server SAVEs (LZF-compressed when long, as
 * Redis writes them) are read with their exact code, before the databases; a library of 7.0's
 * release candidates (opcode 246) is read as Redis 7.0 loads it.
 */
class RdbFunctionsVsRedisTest {
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String lib(String name, String body) {
    return "#!lua name=" + name + "\n" + body;
  }

  /** FUNCTION LIST WITHCODE: each library's name and code. */
  static Map<String, String> libraries(RedisServer redis) throws Exception {
    Map<String, String> libs = new TreeMap<>();
    for (Object entry : (List<?>) redis.call("FUNCTION", "LIST", "WITHCODE")) {
      List<?> fields = (List<?>) entry;
      Map<String, Object> f = new LinkedHashMap<>();
      for (int i = 0; i < fields.size(); i += 2) {
        f.put(new String((byte[]) fields.get(i), StandardCharsets.UTF_8), fields.get(i + 1));
      }
      libs.put(
          new String((byte[]) f.get("library_name"), StandardCharsets.UTF_8),
          new String((byte[]) f.get("library_code"), StandardCharsets.UTF_8));
    }
    return libs;
  }

  private static List<RdbItem> read(Path file) throws Exception {
    List<RdbItem> items = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      RdbFileReader reader = new RdbFileReader(in);
      for (RdbItem item = reader.next(); item != null; item = reader.next()) {
        items.add(item);
      }
      assertTrue(reader.checksumVerified());
    }
    return items;
  }

  @Test
  void redisLoadsTheLibrariesTheWriterWrites() throws Exception {
    // One library over the writer's 64 KB staging buffer, one small, one binary-ish comment.
    StringBuilder big = new StringBuilder("redis.register_function('big', function() return 'big' end)\n");
    while (big.length() < 100_000) {
      big.append("-- padding to make the library larger than the staging buffer\n");
    }
    Map<String, String> libs = new TreeMap<>();
    libs.put("biglib", lib("biglib", big.toString()));
    libs.put("small", lib("small", "redis.register_function('hello', function(keys, args) return 'hi ' .. args[1] end)"));
    libs.put("flags", lib("flags", "-- caf\u00e9\nredis.register_function{function_name='ro', callback=function() return 1 end, flags={'no-writes'}}"));
    Path file = dir.resolve("dump.rdb");
    try (RdbFileWriter w = new RdbFileWriter(Files.newOutputStream(file), RdbFileWriter.Header.now(0))) {
      for (String code : libs.values()) {
        w.function(b(code));
      }
      w.selectDb(0, 1, 0);
      w.write(b("k"), Values.string("v"), -1);
      w.selectDb(3, 1, 0);
      w.write(b("k3"), Values.set("a", "b"), -1);
      // Redis places them before the databases; a loader would refuse a second copy anyway.
      assertThrows(IllegalStateException.class, () -> w.function(b(lib("late", "return"))));
      w.finish();
    }
    String check = RedisServer.checkRdb(file);
    assertTrue(check.startsWith("exit 0") && check.contains("RDB looks OK"), check);
    assertTrue(check.contains("2 keys read"), check);

    try (RedisServer redis = RedisServer.start(dir)) {
      assertEquals(libs, libraries(redis));
      assertEquals("hi there", new String((byte[]) redis.call("FCALL", "hello", "0", "there")));
      assertEquals(1L, redis.call("FCALL_RO", "ro", "0"));
      assertEquals("big", new String((byte[]) redis.call("FCALL", "big", "0")));
      assertEquals("v", new String((byte[]) redis.call("GET", "k")));
    }
    // And the reader gives back what was written, in order, before the databases.
    List<String> seen = new ArrayList<>();
    for (RdbItem item : read(file)) {
      if (item instanceof RdbItem.Function f) {
        seen.add(f.name() + "=" + new String(f.code(), StandardCharsets.UTF_8).equals(libs.get(f.name())));
      } else if (item instanceof RdbItem.DbSize s) {
        seen.add("db" + s.db());
      }
    }
    assertEquals(List.of("biglib=true", "flags=true", "small=true", "db0", "db3"), seen);
  }

  @Test
  void theLibrariesOfAFileRedisSavesAreReadExactly() throws Exception {
    Map<String, String> libs;
    try (RedisServer redis = RedisServer.start(dir)) {
      redis.call("FUNCTION", "LOAD", lib("short", "redis.register_function('s', function() return 1 end)"));
      // Long and repetitive: Redis writes it LZF-compressed (rdbcompression yes).
      redis.call("FUNCTION", "LOAD", lib("long", "redis.register_function('l', function() return 2 end)\n"
          + "-- aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n".repeat(40)));
      redis.call("SET", "key", "value");
      assertEquals("+OK", redis.call("SAVE"));
      libs = libraries(redis);
    }
    byte[] raw = Files.readAllBytes(dir.resolve("dump.rdb"));
    assertTrue(raw.length < 2000, "the long library is compressed in Redis's file: " + raw.length + " bytes");

    Map<String, String> read = new TreeMap<>();
    boolean keysBegan = false;
    Path copy = Files.createDirectories(dir.resolve("again"));
    try (RdbFileWriter w =
        new RdbFileWriter(Files.newOutputStream(copy.resolve("dump.rdb")), RdbFileWriter.Header.now(0))) {
      for (RdbItem item : read(dir.resolve("dump.rdb"))) {
        if (item instanceof RdbItem.Function f) {
          assertTrue(!keysBegan, "Redis writes the libraries before the databases");
          read.put(f.name(), new String(f.code(), StandardCharsets.UTF_8));
          w.function(f.code());
        } else if (item instanceof RdbItem.DbSize s) {
          keysBegan = true;
          w.selectDb(s.db(), s.keys(), s.expires());
        } else if (item instanceof RdbItem.Entry e) {
          w.write(e.key(), e.value(), e.expireAtMs());
        }
      }
      w.finish();
    }
    assertEquals(libs, read);
    assertEquals(2, read.size());
    // Written back uncompressed, a redis-server loads the same libraries.
    try (RedisServer redis = RedisServer.start(copy)) {
      assertEquals(libs, libraries(redis));
      assertEquals(2L, redis.call("FCALL", "l", "0"));
    }
  }

  @Test
  void aLibraryOfTheReleaseCandidatesIsReadAsRedisLoadsIt() throws Exception {
    RdbOutput o = new RdbOutput(256);
    o.write(b("REDIS0010"));
    for (boolean described : new boolean[] {true, false}) {
      String name = described ? "old" : "older";
      o.writeByte(RdbFileFormat.FUNCTION_PRE_GA);
      o.writeString(b(name));
      o.writeString(b("LUA"));
      o.writeLen(described ? 1 : 0);
      if (described) {
        o.writeString(b("a description Redis drops"));
      }
      o.writeString(b("redis.register_function('" + name + "_f', function() return '" + name + "' end)"));
    }
    o.writeByte(RdbFileFormat.SELECTDB);
    o.writeLen(0);
    o.writeByte(RdbType.STRING);
    o.writeString(b("k"));
    o.writeString(b("v"));
    o.writeByte(RdbFileFormat.EOF);
    o.writeLittleEndian(Crc64.of(o.array(), 0, o.size()), 8);
    Path file = dir.resolve("dump.rdb");
    Files.write(file, java.util.Arrays.copyOf(o.array(), o.size()));

    Map<String, String> read = new TreeMap<>();
    for (RdbItem item : read(file)) {
      if (item instanceof RdbItem.Function f) {
        read.put(f.name(), new String(f.code(), StandardCharsets.UTF_8));
      }
    }
    String check = RedisServer.checkRdb(file);
    assertTrue(check.startsWith("exit 0"), check);
    try (RedisServer redis = RedisServer.start(dir)) {
      assertEquals(libraries(redis), read);
      assertEquals("old", new String((byte[]) redis.call("FCALL", "old_f", "0")));
    }
    assertEquals("#!LUA name=older\nredis.register_function('older_f', function() return 'older' end)", read.get("older"));
  }

  @Test
  void aLibraryNameIsReadFromItsMetadataLine() {
    assertEquals("x", FunctionPayload.libraryName(b("#!lua name=x\nreturn")));
    assertEquals("y_1", FunctionPayload.libraryName(b("#!lua  name=y_1 \t\nreturn")));
    assertEquals("z", FunctionPayload.libraryName(b("#!lua name=z")));
    assertEquals(null, FunctionPayload.libraryName(b("#!lua\nname=x")));
    assertEquals(null, FunctionPayload.libraryName(b("return 1")));
  }
}
