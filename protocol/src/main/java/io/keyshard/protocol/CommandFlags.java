package io.keyshard.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The vocabulary of a command declaration: command flags, ACL categories and key-spec flags,
 * each listed in the order Redis 7.0 prints them in COMMAND INFO. Declarations are checked
 * against these lists when the table is built, so a misspelt flag fails at startup (and in every
 * test) instead of silently never matching.
 */
public final class CommandFlags {
  private CommandFlags() {}

  public static final String WRITE = "write";
  public static final String READONLY = "readonly";
  public static final String DENYOOM = "denyoom";
  public static final String ADMIN = "admin";
  public static final String PUBSUB = "pubsub";
  public static final String NOSCRIPT = "noscript";
  public static final String BLOCKING = "blocking";
  public static final String LOADING = "loading";
  public static final String STALE = "stale";
  public static final String FAST = "fast";
  public static final String NO_AUTH = "no_auth";
  public static final String NO_MULTI = "no_multi";
  public static final String MOVABLEKEYS = "movablekeys";
  public static final String ALLOW_BUSY = "allow_busy";

  /** Command flags as COMMAND INFO names them, in its order. */
  public static final List<String> COMMAND = List.of(
      WRITE, READONLY, DENYOOM, "module", ADMIN, PUBSUB, NOSCRIPT, BLOCKING, LOADING, STALE,
      "skip_monitor", "skip_slowlog", "asking", FAST, NO_AUTH, "may_replicate",
      "no_mandatory_keys", "no_async_loading", NO_MULTI, MOVABLEKEYS, ALLOW_BUSY);

  /** ACL categories without the leading '@', in COMMAND INFO's order. */
  public static final List<String> ACL = List.of(
      "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
      "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
      "connection", "transaction", "scripting");

  /** Key-spec flags, in COMMAND INFO's order. */
  public static final List<String> KEY_SPEC = List.of(
      "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete",
      "variable_flags");

  /**
   * A command's full ACL categories: the declared ones plus those Redis derives from the flags
   * (its setImplicitACLCategories). write, readonly, admin, pubsub, fast and blocking imply their
   * category, admin also implies dangerous, and whatever is not fast is slow. Declarations list
   * only what the flags cannot say, as Redis's own command files do.
   */
  static Set<String> aclCategories(Set<String> flags, Set<String> declared) {
    Set<String> acl = new LinkedHashSet<>(declared);
    if (flags.contains(WRITE)) acl.add("write");
    // As Redis's setImplicitACLCategories: a read-only script (EVAL_RO) is not @read.
    if (flags.contains(READONLY) && !declared.contains("scripting")) acl.add("read");
    if (flags.contains(ADMIN)) {
      acl.add("admin");
      acl.add("dangerous");
    }
    if (flags.contains(PUBSUB)) acl.add("pubsub");
    if (flags.contains(FAST)) acl.add("fast");
    if (flags.contains(BLOCKING)) acl.add("blocking");
    if (!acl.contains("fast")) acl.add("slow");
    return canonical(acl, ACL, "ACL category");
  }

  /** Splits a space-separated declaration, checks each word, and orders them as Redis does. */
  static Set<String> canonical(String words, List<String> vocabulary, String what) {
    List<String> given = new ArrayList<>();
    for (String w : words.trim().split("\\s+")) {
      if (!w.isEmpty()) given.add(w);
    }
    return canonical(given, vocabulary, what);
  }

  static Set<String> canonical(Iterable<String> given, List<String> vocabulary, String what) {
    Set<String> seen = new LinkedHashSet<>();
    for (String w : given) {
      if (!vocabulary.contains(w)) {
        throw new IllegalArgumentException("unknown " + what + ": '" + w + "'");
      }
      seen.add(w);
    }
    Set<String> ordered = new LinkedHashSet<>();
    for (String v : vocabulary) {
      if (seen.contains(v)) ordered.add(v);
    }
    return Collections.unmodifiableSet(ordered);
  }
}
