package io.keyshard.tools.backup;

import io.keyshard.persistence.rdb.RdbFileReader;
import io.keyshard.persistence.rdb.RdbFormatException;
import io.keyshard.persistence.rdb.RdbItem;
import io.keyshard.tools.Libraries;
import io.keyshard.tools.Libraries.Library;
import io.keyshard.tools.ToolException;
import io.keyshard.tools.Topology;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Function libraries in a backup (docs/decisions/2026-12-07-backup-tool.md, addendum). They are
 * per node, as in Redis Cluster: each node's part (its SYNC file) carries its own, first. The
 * archive holds each distinct library once: dump.rdb one code per library name (the one most
 * nodes hold, so a redis-server loads the file), the manifest every distinct code with the nodes
 * holding it (the rare others in Base64) and the nodes whose set differs. A restore loads the
 * libraries of dump.rdb on every target primary; verify checks them from the archive and against
 * each live primary.
 */
final class BackupFunctions {
  private BackupFunctions() {}

  /** What goes into the archive: the manifest's section and the codes for dump.rdb, in order. */
  record Plan(Manifest.Functions manifest, List<byte[]> inData) {}

  /**
   * The libraries at the head of an RDB file (Redis and Keyshard write them before the
   * databases): read up to the first key or database.
   */
  static List<byte[]> head(Path file) throws IOException, RdbFormatException {
    List<byte[]> codes = new ArrayList<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      RdbFileReader reader = new RdbFileReader(in, RdbFileReader.Options.DEFAULT.withDecode(false));
      for (RdbItem item = reader.next(); item != null; item = reader.next()) {
        if (item instanceof RdbItem.Function f) {
          codes.add(f.code());
        } else if (item instanceof RdbItem.Entry || item instanceof RdbItem.DbSize) {
          break;
        }
      }
    }
    return codes;
  }

  /** {@code perNode}: each node's library codes, in the order of {@code nodeIds}. */
  static Plan plan(List<String> nodeIds, List<List<byte[]>> perNode, String readAt) {
    Map<String, Library> bySha = new LinkedHashMap<>();
    Map<String, List<String>> holders = new LinkedHashMap<>();
    for (int i = 0; i < nodeIds.size(); i++) {
      for (byte[] code : perNode.get(i)) {
        Library l = Libraries.of(code);
        bySha.putIfAbsent(l.sha256(), l);
        holders.computeIfAbsent(l.sha256(), k -> new ArrayList<>()).add(nodeIds.get(i));
      }
    }
    // Per name, the code most nodes hold (the first seen on a tie) goes into dump.rdb.
    Map<String, String> chosen = new TreeMap<>();
    for (Map.Entry<String, Library> e : bySha.entrySet()) {
      String name = e.getValue().name();
      String best = chosen.get(name);
      if (best == null || holders.get(e.getKey()).size() > holders.get(best).size()) {
        chosen.put(name, e.getKey());
      }
    }
    Set<String> inDataShas = new HashSet<>(chosen.values());
    List<Manifest.Library> libraries = new ArrayList<>();
    for (Map.Entry<String, Library> e : bySha.entrySet()) {
      Library l = e.getValue();
      boolean inData = inDataShas.contains(e.getKey());
      libraries.add(
          new Manifest.Library(
              l.name(), e.getKey(), l.code().length, holders.get(e.getKey()), inData,
              inData ? null : Base64.getEncoder().encodeToString(l.code())));
    }
    libraries.sort(Comparator.comparing(Manifest.Library::name).thenComparing(l -> !l.inData()));
    List<String> disagreeing = new ArrayList<>();
    for (String node : nodeIds) {
      Set<String> held = new HashSet<>();
      holders.forEach((sha, nodes) -> {
        if (nodes.contains(node)) {
          held.add(sha);
        }
      });
      if (!held.equals(inDataShas)) {
        disagreeing.add(node);
      }
    }
    List<byte[]> codes = new ArrayList<>();
    chosen.values().forEach(sha -> codes.add(bySha.get(sha).code()));
    return new Plan(new Manifest.Functions(readAt, libraries, disagreeing), codes);
  }

  /** A line for the create's report, or null when there are no libraries. */
  static String describe(Manifest.Functions f, int nodes) {
    if (f.libraries().isEmpty()) {
      return null;
    }
    long inData = f.libraries().stream().filter(Manifest.Library::inData).count();
    String line = inData + " function librar" + (inData == 1 ? "y" : "ies");
    if (f.disagreeing().isEmpty()) {
      return line + (nodes > 1 ? ", the same on every node" : "");
    }
    return line + "; the nodes do not agree: " + f.disagreeing() + " hold another set (the manifest lists which node holds"
        + " which; a restore loads the libraries of dump.rdb, those most nodes hold)";
  }

  /** Name to SHA-256 of the libraries in dump.rdb. */
  static Map<String, String> inData(Manifest.Functions f) {
    Map<String, String> out = new TreeMap<>();
    f.libraries().stream().filter(Manifest.Library::inData).forEach(l -> out.put(l.name(), l.sha256()));
    return out;
  }

  /** Name to SHA-256 of the libraries a source node held. */
  static Map<String, String> ofNode(Manifest.Functions f, String nodeId) {
    Map<String, String> out = new TreeMap<>();
    f.libraries().stream().filter(l -> l.nodes().contains(nodeId)).forEach(l -> out.put(l.name(), l.sha256()));
    return out;
  }

  /**
   * verify ARCHIVE: dump.rdb's libraries ({@code found}, in file order) are the manifest's, and
   * each library kept in the manifest itself reads back to its checksum. An archive from before
   * backups carried functions has none in dump.rdb.
   */
  static void check(Manifest m, List<byte[]> found) throws ToolException {
    Map<String, String> data = new TreeMap<>();
    for (byte[] code : found) {
      Library l = Libraries.of(code);
      if (data.put(l.name(), l.sha256()) != null) {
        throw new ToolException(ToolException.DAMAGED, Manifest.DATA + " names function library " + l.name() + " twice");
      }
    }
    if (m.functions() == null) {
      if (!data.isEmpty()) {
        throw new ToolException(
            ToolException.DAMAGED, Manifest.DATA + " holds function libraries " + data.keySet() + " that the manifest does not name");
      }
      return;
    }
    List<String> diff = Libraries.differences(inData(m.functions()), data, "the manifest", Manifest.DATA);
    if (!diff.isEmpty()) {
      throw new ToolException(ToolException.DAMAGED, "function libraries: " + String.join("; ", diff));
    }
    for (Manifest.Library l : m.functions().libraries()) {
      if (l.inData()) {
        continue;
      }
      byte[] code;
      try {
        code = Base64.getDecoder().decode(l.code() == null ? "" : l.code());
      } catch (IllegalArgumentException e) {
        throw new ToolException(ToolException.DAMAGED, "function library " + l.name() + " in the manifest is not Base64", e);
      }
      if (code.length != l.bytes() || !Libraries.sha256(code).equals(l.sha256())) {
        throw new ToolException(
            ToolException.DAMAGED, "function library " + l.name() + " in the manifest does not match its SHA-256 (damaged)");
      }
    }
  }

  /**
   * verify --against: each live primary's libraries (FUNCTION DUMP) against the archive's: a
   * primary that was a source node (same id) against that node's own set, any other against
   * dump.rdb's (what a restore loads on every primary). One line per difference.
   */
  static List<String> against(Manifest m, Topology t) throws ToolException {
    List<String> out = new ArrayList<>();
    if (m.functions() == null) {
      return out;
    }
    for (Topology.Shard shard : t.shards()) {
      Map<String, String> expected =
          m.source().nodes().stream().anyMatch(n -> n.id().equals(shard.id()))
              ? ofNode(m.functions(), shard.id())
              : inData(m.functions());
      Map<String, Library> live;
      try (Jedis j = shard.address().connect()) {
        live = Libraries.read(j);
      } catch (JedisException | IllegalStateException e) {
        throw new ToolException(ToolException.REFUSED, shard.address() + ": FUNCTION DUMP failed: " + e.getMessage(), e);
      }
      if (live == null) {
        if (!expected.isEmpty()) {
          out.add(shard.address() + ": has no FUNCTION; the backup holds " + expected.size() + " libraries for it");
        }
        continue;
      }
      for (String d : Libraries.differences(expected, Libraries.shas(live), "the backup", "the live node")) {
        out.add(shard.address() + ": " + d);
      }
    }
    return out;
  }

  /**
   * Loads {@code libs} on every primary of the target before any key, with the policy that
   * matches the keys' (existing): REPLACE with --replace (and on a resumed run, whose libraries
   * these may be), APPEND of the libraries a primary lacks with --skip-existing (its own are
   * kept), APPEND otherwise (the target was checked to hold none of these names). A target
   * without FUNCTION fails unless {@code skipUnsupported}.
   */
  static void restore(Topology target, List<byte[]> codes, Restore.Existing existing, boolean skipUnsupported, PrintStream log)
      throws ToolException {
    if (codes.isEmpty()) {
      return;
    }
    List<Library> libs = codes.stream().map(Libraries::of).toList();
    int kept = 0;
    for (Topology.Shard shard : target.shards()) {
      try (Jedis j = shard.address().connect()) {
        Map<String, Library> there = Libraries.read(j);
        if (there == null) {
          if (skipUnsupported) {
            log.println(shard.address() + " has no FUNCTION: " + libs.size() + " function libraries left out (--skip-unsupported)");
            continue;
          }
          throw new ToolException(
              ToolException.REFUSED,
              shard.address() + " has no FUNCTION (a Redis before 7.0?) and the backup holds " + libs.size()
                  + " function libraries; --skip-unsupported restores the keys without them");
        }
        List<Library> send = libs;
        String policy = existing == Restore.Existing.REPLACE ? "REPLACE" : "APPEND";
        if (existing == Restore.Existing.SKIP) {
          send = libs.stream().filter(l -> !there.containsKey(l.name())).toList();
          kept += libs.size() - send.size();
        }
        Libraries.restore(j, send, policy);
      } catch (JedisDataException e) {
        throw new ToolException(
            ToolException.REFUSED, shard.address() + " refused the function libraries (FUNCTION RESTORE): " + e.getMessage()
                + "; no key was restored", e);
      } catch (JedisException | IllegalStateException e) {
        throw new ToolException(ToolException.REFUSED, shard.address() + ": " + e.getMessage(), e);
      }
    }
    log.println(
        "restored " + libs.size() + " function librar" + (libs.size() == 1 ? "y" : "ies") + " on each of "
            + target.shards().size() + " primar" + (target.shards().size() == 1 ? "y" : "ies")
            + (kept > 0 ? " (" + kept + " existing kept)" : ""));
  }

  /**
   * Refuses (unless --replace or --skip-existing) a target primary that already holds a library
   * of the backup's by name: what the restore would have to replace or keep, as with keys.
   */
  static void refuseIfHeld(Topology target, List<byte[]> codes) throws ToolException {
    if (codes.isEmpty()) {
      return;
    }
    Set<String> names = new HashSet<>();
    codes.forEach(c -> names.add(Libraries.of(c).name()));
    List<String> held = new ArrayList<>();
    for (Topology.Shard shard : target.shards()) {
      try (Jedis j = shard.address().connect()) {
        Map<String, Library> there = Libraries.read(j);
        if (there != null) {
          there.keySet().stream().filter(names::contains).forEach(n -> held.add(shard.address() + " " + n));
        }
      } catch (JedisException | IllegalStateException e) {
        throw new ToolException(ToolException.REFUSED, shard.address() + ": " + e.getMessage(), e);
      }
    }
    if (!held.isEmpty()) {
      throw new ToolException(
          ToolException.REFUSED,
          "the target holds function libraries of the backup's names (" + String.join(", ", held) + "); refused: --replace "
              + "replaces them, --skip-existing keeps them");
    }
  }
}
