package io.keyshard.tools.importer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/**
 * Which arguments of a command are keys, as the source itself says (its COMMAND table: first,
 * last and step, per subcommand too); for a command whose keys move with its arguments
 * (ZUNIONSTORE, SORT ... STORE) the source is asked (COMMAND GETKEYS). A command the source does
 * not list is unknown, not keyless.
 */
final class KeySpecs {
  /** A command's key positions and whether it writes. */
  record Spec(String name, int first, int last, int step, boolean movable, boolean write, boolean container) {}

  private final Map<String, Spec> specs;
  private final Function<byte[][], List<byte[]>> getKeys;

  KeySpecs(Map<String, Spec> specs, Function<byte[][], List<byte[]>> getKeys) {
    this.specs = specs;
    this.getKeys = getKeys;
  }

  /** The source's command table; {@code getKeys} is asked for the keys of movable-key commands. */
  static KeySpecs of(Jedis source, Function<byte[][], List<byte[]>> getKeys) {
    Map<String, Spec> specs = new HashMap<>();
    for (Object entry : (List<?>) source.sendCommand(Protocol.Command.COMMAND)) {
      add(specs, (List<?>) entry);
    }
    return new KeySpecs(specs, getKeys);
  }

  private static void add(Map<String, Spec> specs, List<?> e) {
    String name = text(e.get(0)).toLowerCase(Locale.ROOT);
    boolean movable = false;
    boolean write = false;
    for (Object flag : (List<?>) e.get(2)) {
      String f = text(flag);
      movable |= f.equals("movablekeys");
      write |= f.equals("write");
    }
    List<?> subs = e.size() > 9 && e.get(9) instanceof List<?> l ? l : List.of();
    specs.put(
        name,
        new Spec(name, ((Long) e.get(3)).intValue(), ((Long) e.get(4)).intValue(), ((Long) e.get(5)).intValue(), movable,
            write, !subs.isEmpty()));
    for (Object sub : subs) {
      add(specs, (List<?>) sub);
    }
  }

  private static String text(Object o) {
    return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
  }

  /** The same table, asking {@code getKeys} for the keys of movable-key commands. */
  KeySpecs withGetKeys(Function<byte[][], List<byte[]>> getKeys) {
    return new KeySpecs(specs, getKeys);
  }

  /** The names the source knows, for the replication parser to hand every one over raw. */
  List<String> names() {
    List<String> out = new ArrayList<>();
    for (String n : specs.keySet()) {
      if (n.indexOf('|') < 0) {
        out.add(n);
      }
    }
    return out;
  }

  /** The spec of {@code argv} (name first), a subcommand's where it has one; null if unknown. */
  Spec spec(byte[][] argv) {
    String name = new String(argv[0], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    Spec s = specs.get(name);
    if (s != null && s.container() && argv.length > 1) {
      Spec sub = specs.get(name + "|" + new String(argv[1], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT));
      if (sub != null) {
        return sub;
      }
    }
    return s;
  }

  /** The keys of {@code argv}, by {@code spec}. */
  List<byte[]> keys(Spec spec, byte[][] argv) {
    if (spec.movable()) {
      return getKeys.apply(argv);
    }
    List<byte[]> out = new ArrayList<>();
    if (spec.first() <= 0) {
      return out;
    }
    int last = spec.last() < 0 ? argv.length + spec.last() : spec.last();
    int step = Math.max(1, spec.step());
    for (int i = spec.first(); i <= last && i < argv.length; i += step) {
      out.add(argv[i]);
    }
    return out;
  }
}
