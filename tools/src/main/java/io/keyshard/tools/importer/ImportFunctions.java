package io.keyshard.tools.importer;

import io.keyshard.tools.Libraries;
import io.keyshard.tools.Libraries.Library;
import io.keyshard.tools.ToolException;
import io.keyshard.tools.Topology;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The source's FUNCTION libraries, copied before its keys: FUNCTION DUMP on each source primary,
 * FUNCTION RESTORE on every target primary (Redis Cluster and Keyshard keep them per node). A
 * source without FUNCTION (Redis before 7.0, Pika) has none to copy. The policy follows the
 * keys': refused when a target primary holds a library of a copied name (unless --replace or
 * --skip-existing), REPLACE with --replace and on a resumed run (they are the import's own),
 * only the missing ones with --skip-existing. Source primaries that disagree: each name's code
 * is the first primary's holding it, and the run says which differ (--verify lists them).
 */
final class ImportFunctions {
  private ImportFunctions() {}

  /** Every source primary's libraries (null: the source has no FUNCTION). */
  static List<Map<String, Library>> read(Topology source) throws ToolException {
    List<Map<String, Library>> out = new ArrayList<>();
    for (Topology.Shard shard : source.shards()) {
      try (Jedis j = shard.address().connect()) {
        Map<String, Library> libs = Libraries.read(j);
        if (libs == null) {
          return null;
        }
        out.add(libs);
      } catch (JedisException | IllegalStateException e) {
        throw new ToolException(ToolException.REFUSED, shard.address() + ": FUNCTION DUMP failed: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** The libraries to copy: by name, the first primary's code; the lines naming disagreements. */
  static Map<String, Library> union(Topology source, List<Map<String, Library>> perPrimary, List<String> disagreements) {
    Map<String, Library> all = new LinkedHashMap<>();
    perPrimary.forEach(m -> m.values().forEach(l -> all.putIfAbsent(l.name(), l)));
    Map<String, String> shas = Libraries.shas(all);
    for (int i = 0; i < perPrimary.size(); i++) {
      for (String d : Libraries.differences(shas, Libraries.shas(perPrimary.get(i)), "the first", "this primary")) {
        disagreements.add(source.shards().get(i).address() + ": " + d);
      }
    }
    return all;
  }

  /**
   * Copies the libraries (before any key). {@code refuse}: the target must not hold any of
   * their names; {@code replace}: FUNCTION RESTORE REPLACE; else only those a primary lacks.
   */
  static void copy(Topology source, Topology target, boolean refuse, boolean replace, PrintStream log) throws ToolException {
    List<Map<String, Library>> perPrimary = read(source);
    if (perPrimary == null) {
      return; // no FUNCTION on the source: nothing to copy
    }
    List<String> disagreements = new ArrayList<>();
    Map<String, Library> libs = union(source, perPrimary, disagreements);
    if (libs.isEmpty()) {
      return;
    }
    if (!disagreements.isEmpty()) {
      log.println("the source's primaries do not hold the same function libraries (each name's code is the first primary's):");
      disagreements.forEach(d -> log.println("  " + d));
    }
    // Every target primary is read first, so a refusal leaves all of them untouched.
    List<Map<String, Library>> theirs = new ArrayList<>();
    List<String> held = new ArrayList<>();
    for (Topology.Shard shard : target.shards()) {
      try (Jedis j = shard.address().connect()) {
        Map<String, Library> there = Libraries.read(j);
        if (there == null) {
          throw new ToolException(ToolException.REFUSED, shard.address() + " has no FUNCTION: the source's function libraries cannot be copied");
        }
        theirs.add(there);
        libs.keySet().stream().filter(there::containsKey).forEach(n -> held.add(shard.address() + " " + n));
      } catch (JedisException | IllegalStateException e) {
        throw new ToolException(ToolException.REFUSED, shard.address() + ": " + e.getMessage(), e);
      }
    }
    if (refuse && !held.isEmpty()) {
      throw new ToolException(
          ToolException.REFUSED,
          "the target holds function libraries of the source's names (" + String.join(", ", held) + "); refused: --replace "
              + "replaces them, --skip-existing keeps them");
    }
    int kept = 0;
    for (int i = 0; i < target.shards().size(); i++) {
      Topology.Shard shard = target.shards().get(i);
      Map<String, Library> there = theirs.get(i);
      List<Library> send = new ArrayList<>(libs.values());
      if (!replace) {
        send.removeIf(l -> there.containsKey(l.name()));
        kept += libs.size() - send.size();
      }
      try (Jedis j = shard.address().connect()) {
        Libraries.restore(j, send, replace ? "REPLACE" : "APPEND");
      } catch (JedisDataException e) {
        throw new ToolException(
            ToolException.REFUSED, shard.address() + " refused the source's function libraries (FUNCTION RESTORE): " + e.getMessage(), e);
      } catch (JedisException e) {
        throw new ToolException(ToolException.REFUSED, shard.address() + ": " + e.getMessage(), e);
      }
    }
    log.println(
        "copied " + libs.size() + " function librar" + (libs.size() == 1 ? "y" : "ies") + " to each of "
            + target.shards().size() + " target primar" + (target.shards().size() == 1 ? "y" : "ies")
            + (kept > 0 ? " (" + kept + " existing kept)" : ""));
  }

  /**
   * --verify: the source's libraries (every primary's) against each target primary's, by name
   * and code; one report line each ({@code functions<TAB>where<TAB>why}). Answers the count.
   */
  static long verify(Topology source, Topology target, Writer report) throws ToolException, IOException {
    List<Map<String, Library>> perPrimary = read(source);
    if (perPrimary == null) {
      return 0;
    }
    List<String> lines = new ArrayList<>();
    Map<String, Library> libs = union(source, perPrimary, lines);
    Map<String, String> shas = Libraries.shas(libs);
    for (Topology.Shard shard : target.shards()) {
      Map<String, Library> there;
      try (Jedis j = shard.address().connect()) {
        there = Libraries.read(j);
      } catch (JedisException | IllegalStateException e) {
        throw new ToolException(ToolException.REFUSED, shard.address() + ": FUNCTION DUMP failed: " + e.getMessage(), e);
      }
      for (String d : Libraries.differences(shas, there == null ? new TreeMap<>() : Libraries.shas(there), "the source", "the target")) {
        lines.add(shard.address() + ": " + d);
      }
    }
    for (String line : lines) {
      report.write("functions\t" + line + "\n");
    }
    return lines.size();
  }
}
