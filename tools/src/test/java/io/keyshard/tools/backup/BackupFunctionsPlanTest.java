package io.keyshard.tools.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.tools.Libraries;
import io.keyshard.tools.ToolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The libraries of a cluster's nodes in one archive: identical ones once, per name the code most
 * nodes hold in dump.rdb and the others in the manifest, the nodes that differ named; and the
 * archive's check of them.
 */
class BackupFunctionsPlanTest {
  private static byte[] lib(String name, String body) {
    return ("#!lua name=" + name + "\n" + body).getBytes(StandardCharsets.UTF_8);
  }

  private static final byte[] A = lib("a", "redis.register_function('fa', function() return 1 end)");
  private static final byte[] A2 = lib("a", "redis.register_function('fa', function() return 2 end)");
  private static final byte[] B = lib("b", "redis.register_function('fb', function() return 3 end)");

  private static Manifest withFunctions(Manifest.Functions f) {
    return new Manifest(1, "id", "t", new Manifest.Source("cluster", "e", List.of()), null, 0, 0, Map.of(), List.of(),
        null, List.of(), f);
  }

  @Test
  void identicalLibrariesOfEveryNodeAreOneAndAgree() {
    BackupFunctions.Plan p = BackupFunctions.plan(List.of("n1", "n2", "n3"), List.of(List.of(A, B), List.of(B, A), List.of(A, B)), "now");
    assertEquals(2, p.manifest().libraries().size());
    assertEquals(List.of("n1", "n2", "n3"), p.manifest().libraries().get(0).nodes());
    assertEquals(List.of(), p.manifest().disagreeing());
    assertEquals(List.of("a", "b"), p.inData().stream().map(c -> Libraries.of(c).name()).toList());
    assertEquals("2 function libraries, the same on every node", BackupFunctions.describe(p.manifest(), 3));
  }

  @Test
  void disagreeingNodesAreNamedAndTheMajoritysCodeIsInTheData() throws Exception {
    // n2 holds another 'a'; n3 lacks 'b'.
    BackupFunctions.Plan p =
        BackupFunctions.plan(List.of("n1", "n2", "n3"), List.of(List.of(A, B), List.of(A2, B), List.of(A)), "now");
    assertEquals(List.of("n2", "n3"), p.manifest().disagreeing());
    assertEquals(2, p.inData().size());
    assertEquals(Libraries.sha256(A), Libraries.sha256(p.inData().get(0)));
    Manifest.Library other =
        p.manifest().libraries().stream().filter(l -> !l.inData()).findFirst().orElseThrow();
    assertEquals("a", other.name());
    assertEquals(List.of("n2"), other.nodes());
    assertEquals(Libraries.sha256(A2), Libraries.sha256(Base64.getDecoder().decode(other.code())));
    assertTrue(BackupFunctions.describe(p.manifest(), 3).contains("[n2, n3]"));
    assertEquals(Map.of("a", Libraries.sha256(A2), "b", Libraries.sha256(B)), BackupFunctions.ofNode(p.manifest(), "n2"));
    assertEquals(Map.of("a", Libraries.sha256(A)), BackupFunctions.ofNode(p.manifest(), "n3"));

    // The archive's check: dump.rdb's libraries are the manifest's, the others read back.
    Manifest m = withFunctions(p.manifest());
    BackupFunctions.check(m, p.inData());
    assertThrows(ToolException.class, () -> BackupFunctions.check(m, List.of(A)));
    assertThrows(ToolException.class, () -> BackupFunctions.check(m, List.of(A2, B)));
    assertThrows(ToolException.class, () -> BackupFunctions.check(m, List.of(A, B, B)));
    List<Manifest.Library> tampered = new ArrayList<>(p.manifest().libraries());
    tampered.replaceAll(l -> l.inData() ? l : new Manifest.Library(l.name(), l.sha256(), l.bytes(), l.nodes(), false,
        Base64.getEncoder().encodeToString(A)));
    ToolException e = assertThrows(ToolException.class, () -> BackupFunctions.check(
        withFunctions(new Manifest.Functions("now", tampered, List.of("n2", "n3"))), p.inData()));
    assertEquals(ToolException.DAMAGED, e.exitCode());
  }

  @Test
  void aTieGoesToTheFirstNodesCodeAndNoLibrariesIsNothing() throws Exception {
    BackupFunctions.Plan p = BackupFunctions.plan(List.of("n1", "n2"), List.of(List.of(A2), List.of(A)), "now");
    assertEquals(Libraries.sha256(A2), Libraries.sha256(p.inData().get(0)));
    assertEquals(List.of("n2"), p.manifest().disagreeing());
    BackupFunctions.Plan none = BackupFunctions.plan(List.of("n1"), List.of(List.of()), "now");
    assertEquals(List.of(), none.inData());
    assertEquals(null, BackupFunctions.describe(none.manifest(), 1));
    // An archive from before functions were carried: none in dump.rdb is right, one is not.
    BackupFunctions.check(withFunctions(null), List.of());
    assertThrows(ToolException.class, () -> BackupFunctions.check(withFunctions(null), List.of(A)));
  }
}
