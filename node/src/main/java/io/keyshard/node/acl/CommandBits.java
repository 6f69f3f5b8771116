package io.keyshard.node.acl;

import io.keyshard.protocol.CommandFlags;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.CommandTable;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A numbering of what an ACL user may or may not run: one bit per command that has no
 * subcommands and one per subcommand of a container (CONFIG GET, CONFIG SET ...), in table
 * order, with the bits of each ACL category. A user's permissions are a {@link BitSet} over it.
 */
final class CommandBits {
  private final CommandTable table;
  private final List<CommandSpec> leaves = new ArrayList<>();
  private final Map<String, Integer> ids = new HashMap<>();
  private final Map<String, BitSet> categories = new HashMap<>();
  /** Per top-level command: the bits of it (one, or those of its subcommands). */
  private final Map<String, BitSet> ofCommand = new HashMap<>();
  private final BitSet all = new BitSet();

  CommandBits(CommandTable table) {
    this.table = table;
    for (String cat : CommandFlags.ACL) {
      categories.put(cat, new BitSet());
    }
    for (CommandSpec c : table.all()) {
      BitSet own = new BitSet();
      // A container has a bit of its own as well (COMMAND alone runs), as in Redis.
      List<CommandSpec> runnable = new ArrayList<>();
      runnable.add(c);
      runnable.addAll(c.subcommands());
      for (CommandSpec leaf : runnable) {
        int id = leaves.size();
        leaves.add(leaf);
        ids.put(leaf.fullName(), id);
        own.set(id);
        all.set(id);
        for (String cat : leaf.aclCategories()) {
          categories.get(cat).set(id);
        }
      }
      ofCommand.put(c.name(), own);
    }
  }

  CommandTable table() {
    return table;
  }

  /** The bit of a command or subcommand by full name ("get", "config|get"), or -1. */
  int id(String fullName) {
    Integer id = ids.get(fullName);
    return id == null ? -1 : id;
  }

  CommandSpec leaf(int id) {
    return leaves.get(id);
  }

  /** The bits of a top-level command, or null if there is no such command. */
  BitSet ofCommand(String name) {
    return ofCommand.get(name);
  }

  /** The bits of a category (name without '@'), or null if Redis has no such category. */
  BitSet category(String name) {
    return categories.get(name);
  }

  BitSet all() {
    return all;
  }
}
