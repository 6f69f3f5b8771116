package io.keyshard.tools.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The importer's pieces that need no server: scores as arguments, differences, the state file. */
class ImportPartsTest {
  @Test
  void aScoreArgumentReadsBackAsTheSameDouble() {
    for (double d : new double[] {0.0, -0.5, 1.0 / 3, 1e300, -1e-300, 123456789012345678.0, Double.MIN_VALUE}) {
      assertEquals(d, Double.parseDouble(new String(BigKeys.score(d), StandardCharsets.US_ASCII)), "score " + d);
    }
    assertEquals("+inf", new String(BigKeys.score(Double.POSITIVE_INFINITY), StandardCharsets.US_ASCII));
    assertEquals("-inf", new String(BigKeys.score(Double.NEGATIVE_INFINITY), StandardCharsets.US_ASCII));
  }

  @Test
  void differencesNameWhatDiffers() {
    long at = System.currentTimeMillis() + 3_600_000;
    ImportVerify.Seen a = new ImportVerify.Seen("list", "d1", at);
    assertNull(ImportVerify.difference(a, new ImportVerify.Seen("list", "d1", at + 1_500)), "within the TTL slack");
    assertEquals("missing on the target", ImportVerify.difference(a, null));
    assertEquals("missing on the target", ImportVerify.difference(new ImportVerify.Seen("list", "d1", -1), null));
    // Its expiry came during the comparison: the target may have expired it in between.
    long due = System.currentTimeMillis() + 500;
    assertNull(ImportVerify.difference(new ImportVerify.Seen("list", "d1", due), null), "expired in between");
    assertEquals(
        "missing on the target (a stream is copied from a source that has DUMP)",
        ImportVerify.difference(new ImportVerify.Seen("stream", "d3", -1), null));
    assertEquals(
        "a module-type, which the target does not hold",
        ImportVerify.difference(new ImportVerify.Seen("module-type", "unsupported", -1), null));
    assertTrue(ImportVerify.difference(a, new ImportVerify.Seen("set", "d1", at)).startsWith("type list"));
    assertEquals("another value", ImportVerify.difference(a, new ImportVerify.Seen("list", "d2", at)));
    assertTrue(ImportVerify.difference(a, new ImportVerify.Seen("list", "d1", -1)).startsWith("expiry"));
    assertEquals("bin\\x00\\xff\\x5c", ImportVerify.printable(new byte[] {'b', 'i', 'n', 0, (byte) 0xff, '\\'}));
  }

  @Test
  void theStateFileIsReplacedWhole() throws Exception {
    Path dir = Files.createTempDirectory("import-state");
    Path file = dir.resolve("state.json");
    ImportState s = new ImportState();
    s.from = "a:1";
    s.to = "b:2";
    s.parts.add(new ImportState.Part("a:1", "run", 3));
    s.parts.get(0).cursor = "1234";
    s.inProgress = new ImportState.InProgress("a2V5", 3);
    s.keys = 42;
    s.write(file);
    ImportState back = ImportState.read(file);
    assertEquals("1234", back.parts.get(0).cursor);
    assertEquals(3, back.parts.get(0).db);
    assertEquals("a2V5", back.inProgress.key);
    assertEquals(42, back.keys);
    assertTrue(!Files.exists(dir.resolve("state.json.tmp")));
  }
}
