package io.keyshard.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders a {@link CommandSpec} as Redis 7.0 shapes its COMMAND INFO and COMMAND DOCS entries:
 * the same element order, and Map and Set where Redis sends maps and sets, so RESP3 clients see
 * {@code %} and {@code ~} exactly where Redis puts them (RESP2 flattens both to arrays).
 */
final class CommandDocs {
  private CommandDocs() {}

  /**
   * One COMMAND INFO entry: name, arity, flags, first key, last key, step, ACL categories, tips,
   * key specs, subcommands. Flags and categories are status strings, tips and names bulk strings.
   */
  static Reply info(CommandSpec c) {
    List<Reply> subs = new ArrayList<>();
    for (CommandSpec sub : c.subcommands()) subs.add(info(sub));
    List<Reply> specs = new ArrayList<>();
    for (CommandSpec.KeySpec ks : c.keySpecs()) specs.add(keySpec(ks));
    return new Reply.Array(List.of(
        Reply.bulk(c.fullName()),
        Reply.integer(c.arity()),
        simpleSet(c.flags()),
        Reply.integer(c.firstKey()),
        Reply.integer(c.lastKey()),
        Reply.integer(c.step()),
        simpleSet(c.aclCategories().stream().map(a -> "@" + a).toList()),
        new Reply.Set(c.tips().stream().map(Reply::bulk).toList()),
        new Reply.Set(specs),
        // Redis sends an empty set, not an empty array, when there are no subcommands.
        c.isContainer() ? new Reply.Array(subs) : new Reply.Set(List.of())));
  }

  static Reply keySpec(CommandSpec.KeySpec ks) {
    List<Reply> kv = new ArrayList<>();
    if (ks.notes() != null) pair(kv, "notes", Reply.bulk(ks.notes()));
    pair(kv, "flags", simpleSet(ks.flags()));
    List<Reply> begin = new ArrayList<>();
    if (ks.beginSearch() instanceof CommandSpec.Index index) {
      pair(begin, "type", Reply.bulk("index"));
      pair(begin, "spec", map("index", Reply.integer(index.pos())));
    } else if (ks.beginSearch() instanceof CommandSpec.Keyword kw) {
      pair(begin, "type", Reply.bulk("keyword"));
      pair(begin, "spec", map("keyword", Reply.bulk(kw.keyword()),
          "startfrom", Reply.integer(kw.startFrom())));
    } else {
      pair(begin, "type", Reply.bulk("unknown"));
      pair(begin, "spec", new Reply.Map(List.of()));
    }
    pair(kv, "begin_search", new Reply.Map(begin));
    List<Reply> find = new ArrayList<>();
    if (ks.findKeys() instanceof CommandSpec.Range r) {
      pair(find, "type", Reply.bulk("range"));
      pair(find, "spec", map("lastkey", Reply.integer(r.lastKey()),
          "keystep", Reply.integer(r.keyStep()), "limit", Reply.integer(r.limit())));
    } else if (ks.findKeys() instanceof CommandSpec.KeyNum n) {
      pair(find, "type", Reply.bulk("keynum"));
      pair(find, "spec", map("keynumidx", Reply.integer(n.keyNumIdx()),
          "firstkey", Reply.integer(n.firstKey()), "keystep", Reply.integer(n.keyStep())));
    } else {
      pair(find, "type", Reply.bulk("unknown"));
      pair(find, "spec", new Reply.Map(List.of()));
    }
    pair(kv, "find_keys", new Reply.Map(find));
    return new Reply.Map(kv);
  }

  /**
   * One COMMAND DOCS entry: summary, since, group, complexity, then doc_flags, deprecated_since,
   * replaced_by and history when there are any, then subcommands (a map by full name). The
   * "arguments" trees are not declared, so they are left out.
   */
  static Reply docs(CommandSpec c) {
    List<Reply> kv = new ArrayList<>();
    pair(kv, "summary", Reply.bulk(c.summary()));
    pair(kv, "since", Reply.bulk(c.since()));
    pair(kv, "group", Reply.bulk(c.group()));
    if (c.complexity() != null) { // SYNC has none in Redis 7.0
      pair(kv, "complexity", Reply.bulk(c.complexity()));
    }
    List<String> docFlags = new ArrayList<>();
    if (c.isDeprecated()) docFlags.add("deprecated");
    docFlags.addAll(c.docFlags());
    if (!docFlags.isEmpty()) pair(kv, "doc_flags", simpleSet(docFlags));
    if (c.isDeprecated()) {
      pair(kv, "deprecated_since", Reply.bulk(c.deprecatedSince()));
      pair(kv, "replaced_by", Reply.bulk(c.replacedBy()));
    }
    if (!c.history().isEmpty()) {
      List<Reply> entries = new ArrayList<>();
      for (CommandSpec.History h : c.history()) {
        entries.add(new Reply.Array(List.of(Reply.bulk(h.version()),
            Reply.bulk(h.description()))));
      }
      pair(kv, "history", new Reply.Set(entries));
    }
    if (c.isContainer()) {
      List<Reply> subs = new ArrayList<>();
      for (CommandSpec sub : c.subcommands()) pair(subs, sub.fullName(), docs(sub));
      pair(kv, "subcommands", new Reply.Map(subs));
    }
    return new Reply.Map(kv);
  }

  /** COMMAND HELP, worded as Redis 7.0's minus GETKEYSANDFLAGS, which Keyshard does not have. */
  static Reply commandHelp() {
    List<Reply> lines = new ArrayList<>();
    for (String line : List.of(
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "HELP",
        "    Prints this help.")) {
      lines.add(Reply.simple(line));
    }
    return new Reply.Array(lines);
  }

  private static Reply simpleSet(Iterable<String> words) {
    List<Reply> items = new ArrayList<>();
    for (String w : words) items.add(Reply.simple(w));
    return new Reply.Set(items);
  }

  private static void pair(List<Reply> kv, String key, Reply value) {
    kv.add(Reply.bulk(key));
    kv.add(value);
  }

  private static Reply map(Object... keysAndValues) {
    List<Reply> kv = new ArrayList<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      pair(kv, (String) keysAndValues[i], (Reply) keysAndValues[i + 1]);
    }
    return new Reply.Map(kv);
  }
}
