package io.keyshard.protocol;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One command (or one subcommand of a container such as CONFIG) as declared in
 * {@link CommandTable}: everything COMMAND INFO and COMMAND DOCS report about it, in Redis 7.0's
 * terms. Instances are immutable; the table's declarations build them, deriving the implied ACL
 * categories and the legacy first/last/step range from the flags and key specs as Redis does.
 *
 * @param name lowercase name; for a subcommand only its own part ("get")
 * @param fullName what errors and COMMAND INFO show: "get", or "config|get" for a subcommand
 * @param arity Redis's convention: n means exactly n arguments counting the name (and the
 *     subcommand), -n means at least n
 * @param flags command flags in COMMAND INFO's order ({@link CommandFlags#COMMAND})
 * @param firstKey argv index of the first key, 0 if none
 * @param lastKey argv index of the last key; negative counts from the end (-1 is the last)
 * @param step distance between keys (2 for MSET's key/value pairs)
 * @param aclCategories categories without '@', implied ones included, in COMMAND INFO's order
 * @param subcommands empty unless this is a container
 * @param tips COMMAND INFO tips such as "nondeterministic_output"
 * @param history COMMAND DOCS history, oldest first
 * @param deprecatedSince null unless deprecated
 * @param replacedBy null unless deprecated
 * @param docFlags COMMAND DOCS doc_flags besides "deprecated" ("syscmd" for RESTORE-ASKING)
 */
public record CommandSpec(
    String name,
    String fullName,
    int arity,
    Set<String> flags,
    int firstKey,
    int lastKey,
    int step,
    List<String> aclCategories,
    String group,
    String summary,
    String since,
    String complexity,
    List<CommandSpec> subcommands,
    List<String> tips,
    List<KeySpec> keySpecs,
    List<History> history,
    String deprecatedSince,
    String replacedBy,
    Set<String> docFlags) {

  public CommandSpec {
    flags = Collections.unmodifiableSet(new LinkedHashSet<>(flags));
    docFlags = Collections.unmodifiableSet(new LinkedHashSet<>(docFlags));
    aclCategories = List.copyOf(aclCategories);
    subcommands = List.copyOf(subcommands);
    tips = List.copyOf(tips);
    keySpecs = List.copyOf(keySpecs);
    history = List.copyOf(history);
  }

  /** A command without doc flags of its own (all but Redis's system commands). */
  public CommandSpec(String name, String fullName, int arity, Set<String> flags, int firstKey,
      int lastKey, int step, List<String> aclCategories, String group, String summary,
      String since, String complexity, List<CommandSpec> subcommands, List<String> tips,
      List<KeySpec> keySpecs, List<History> history, String deprecatedSince, String replacedBy) {
    this(name, fullName, arity, flags, firstKey, lastKey, step, aclCategories, group, summary,
        since, complexity, subcommands, tips, keySpecs, history, deprecatedSince, replacedBy,
        Set.of());
  }

  /**
   * Where a command's keys are, as Redis 7.0 declares them: a way to find the first key
   * ({@link BeginSearch}) and a way to find the rest from there ({@link FindKeys}).
   *
   * @param notes free text shown by COMMAND INFO, or null
   * @param flags key-spec flags ({@link CommandFlags#KEY_SPEC}), e.g. RW, access, update
   */
  public record KeySpec(String notes, Set<String> flags, BeginSearch beginSearch,
      FindKeys findKeys) {
    public KeySpec {
      flags = Collections.unmodifiableSet(new LinkedHashSet<>(flags));
    }
  }

  public sealed interface BeginSearch permits Index, Keyword, UnknownSearch {}

  /** The first key is at a fixed argv index. */
  public record Index(int pos) implements BeginSearch {}

  /**
   * The first key follows a keyword, searched from {@code startFrom} (negative: from the end,
   * backwards).
   */
  public record Keyword(String keyword, int startFrom) implements BeginSearch {}

  /**
   * The keys cannot be found from the key specs (SORT's STORE, which may be anywhere after the
   * options): the command's own key procedure finds them.
   */
  public record UnknownSearch() implements BeginSearch {}

  public sealed interface FindKeys permits Range, KeyNum, UnknownKeys {}

  /** The rest of the keys cannot be found from the key specs (goes with {@link UnknownSearch}). */
  public record UnknownKeys() implements FindKeys {}

  /**
   * Keys run from the first to {@code lastKey} (relative to the first; negative counts from the
   * end of argv) every {@code keyStep}; a non-zero {@code limit} with lastKey -1 takes 1/limit of
   * the remaining arguments.
   */
  public record Range(int lastKey, int keyStep, int limit) implements FindKeys {}

  /**
   * The argument at {@code keyNumIdx} (relative to the begin-search result) says how many keys
   * follow, starting {@code firstKey} after it, every {@code keyStep}.
   */
  public record KeyNum(int keyNumIdx, int firstKey, int keyStep) implements FindKeys {}

  /** One line of COMMAND DOCS history: the version and what changed. */
  public record History(String version, String description) {}

  public boolean hasFlag(String flag) {
    return flags.contains(flag);
  }

  public boolean isWrite() {
    return flags.contains(CommandFlags.WRITE);
  }

  public boolean isReadonly() {
    return flags.contains(CommandFlags.READONLY);
  }

  public boolean isFast() {
    return flags.contains(CommandFlags.FAST);
  }

  public boolean isAdmin() {
    return flags.contains(CommandFlags.ADMIN);
  }

  /** True if the command declares keys, as Redis's doesCommandHaveKeys decides it. */
  public boolean hasKeys() {
    return !keySpecs.isEmpty();
  }

  public boolean isContainer() {
    return !subcommands.isEmpty();
  }

  public boolean isSubcommand() {
    return fullName.indexOf('|') >= 0;
  }

  public boolean isDeprecated() {
    return deprecatedSince != null;
  }

  /** The subcommand with this lowercase name, or null. */
  public CommandSpec subcommand(String lowercaseName) {
    for (CommandSpec sub : subcommands) {
      if (sub.name.equals(lowercaseName)) return sub;
    }
    return null;
  }
}
