package io.keyshard.node.acl;

import io.keyshard.protocol.CommandFlags;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Glob;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * One ACL user and the rules of Redis 7.0's ACL SETUSER over it. Instances are changed only while
 * being built ({@link #copy} then {@link #apply}); once published in {@link Acl} they are read
 * by any thread and never change again, so a request sees one consistent version of its user.
 *
 * <p>Rule strings are handled as ISO-8859-1 text, so each char is one byte of the client's
 * argument and binary key patterns survive. Passwords are kept only as SHA-256 hex digests.
 */
public final class AclUser {
  static final int READ = 1;
  static final int WRITE = 2;

  /** A key pattern with the permissions it grants (%R~, %W~, or both for ~). */
  private record KeyPattern(String pattern, int flags) {
    String describe() {
      return switch (flags) {
        case READ -> "%R~" + pattern;
        case WRITE -> "%W~" + pattern;
        default -> "~" + pattern;
      };
    }
  }

  /** Why a rule was refused: the text after "Error in ACL SETUSER modifier '...': ". */
  public static final class RuleException extends Exception {
    RuleException(String reason) {
      super(reason, null, false, false);
    }
  }

  private final CommandBits bits;
  final String name;
  private boolean enabled;
  private boolean nopass;
  /** 0: neither flag shown, 1: sanitize-payload, 2: skip-sanitize-payload. */
  private int sanitize;
  private final LinkedHashSet<String> passwords = new LinkedHashSet<>();
  private boolean allKeys;
  private final List<KeyPattern> keys = new ArrayList<>();
  private boolean allChannels;
  private final List<String> channels = new ArrayList<>();
  private final BitSet allowed = new BitSet();
  /** Set by +@all (allcommands): the user may also run commands added later. */
  private boolean allFuture;
  /** Commands allowed only with a given first argument (+select|0), lowercase. */
  private final Map<Integer, LinkedHashSet<String>> firstArgs = new HashMap<>();

  /** Whether a new or RESET user starts with every channel (acl-pubsub-default allchannels). */
  private final BooleanSupplier allChannelsByDefault;

  /**
   * A new user as ACL SETUSER creates it: off, no password, no keys, no commands, and the
   * channels acl-pubsub-default gives (none by default in Redis 7.0).
   */
  AclUser(CommandBits bits, String name, BooleanSupplier allChannelsByDefault) {
    this.bits = bits;
    this.name = name;
    this.allChannelsByDefault = allChannelsByDefault;
    allChannels = allChannelsByDefault.getAsBoolean();
  }

  AclUser copy() {
    AclUser c = new AclUser(bits, name, allChannelsByDefault);
    c.enabled = enabled;
    c.nopass = nopass;
    c.sanitize = sanitize;
    c.passwords.addAll(passwords);
    c.allKeys = allKeys;
    c.keys.addAll(keys);
    c.allChannels = allChannels;
    c.channels.addAll(channels);
    c.allowed.or(allowed);
    c.allFuture = allFuture;
    firstArgs.forEach((k, v) -> c.firstArgs.put(k, new LinkedHashSet<>(v)));
    return c;
  }

  public String name() {
    return name;
  }

  boolean enabled() {
    return enabled;
  }

  boolean nopass() {
    return nopass;
  }

  /** May run every command on every key: the check before dispatch has nothing to do. */
  boolean unrestricted() {
    Boolean u = unrestricted;
    if (u == null) {
      // Published versions never change, so this is worked out once per version.
      u = allKeys && allChannels && allowed.cardinality() == bits.all().cardinality();
      unrestricted = u;
    }
    return u;
  }

  private volatile Boolean unrestricted;

  /** Whether pass opens this user (enabled, and nopass or one of its passwords). */
  boolean accepts(byte[] pass) {
    return enabled && (nopass || passwords.contains(sha256(pass)));
  }

  // ---- Rules ----

  /** Applies one ACL SETUSER rule, in any case for the keywords. */
  void apply(String rule) throws RuleException {
    unrestricted = null;
    String lower = rule.toLowerCase(Locale.ROOT);
    switch (lower) {
      case "on" -> enabled = true;
      case "off" -> enabled = false;
      case "nopass" -> {
        nopass = true;
        passwords.clear();
      }
      case "resetpass" -> {
        nopass = false;
        passwords.clear();
      }
      case "sanitize-payload" -> sanitize = 1;
      case "skip-sanitize-payload" -> sanitize = 2;
      case "allkeys" -> addKeyPattern("*", READ | WRITE);
      case "resetkeys" -> {
        allKeys = false;
        keys.clear();
      }
      case "allchannels" -> addChannel("*");
      case "resetchannels" -> {
        allChannels = false;
        channels.clear();
      }
      case "allcommands" -> apply("+@all");
      case "nocommands" -> apply("-@all");
      // Keyshard has no selectors, so there is never one to clear.
      case "clearselectors" -> {}
      case "reset" -> {
        nopass = false;
        passwords.clear();
        allKeys = false;
        keys.clear();
        allChannels = allChannelsByDefault.getAsBoolean();
        channels.clear();
        enabled = false;
        sanitize = 1;
        apply("-@all");
      }
      default -> applyPrefixed(rule);
    }
  }

  private void applyPrefixed(String rule) throws RuleException {
    if (rule.isEmpty()) {
      return; // Redis accepts an empty rule and does nothing
    }
    String rest = rule.substring(1);
    switch (rule.charAt(0)) {
      case '>' -> {
        passwords.add(sha256(rest));
        nopass = false;
      }
      case '#' -> {
        passwords.add(checkedHash(rest));
        nopass = false;
      }
      case '<' -> {
        if (!passwords.remove(sha256(rest))) {
          throw new RuleException(
              "The password you are trying to remove from the user does not exist");
        }
      }
      case '!' -> {
        if (!passwords.remove(checkedHash(rest))) {
          throw new RuleException(
              "The password you are trying to remove from the user does not exist");
        }
      }
      case '~' -> addKeyPattern(rest, READ | WRITE);
      case '%' -> {
        // Each of R and W at most once, then '~' and the pattern (none: the empty pattern).
        int flags = 0;
        int i = 0;
        for (; i < rest.length() && rest.charAt(i) != '~'; i++) {
          char c = Character.toUpperCase(rest.charAt(i));
          int f = c == 'R' ? READ : c == 'W' ? WRITE : 0;
          if (f == 0 || (flags & f) != 0) {
            throw new RuleException("Syntax error");
          }
          flags |= f;
        }
        if (flags == 0) {
          throw new RuleException("Syntax error");
        }
        addKeyPattern(i < rest.length() ? rest.substring(i + 1) : "", flags);
      }
      case '&' -> addChannel(rest);
      case '+', '-' -> applyCommandRule(rule.charAt(0) == '+', rest.toLowerCase(Locale.ROOT));
      case '(' -> throw new RuleException("Selectors are not supported by Keyshard");
      default -> throw new RuleException("Syntax error");
    }
  }

  private static String checkedHash(String hex) throws RuleException {
    boolean ok = hex.length() == 64;
    for (int i = 0; ok && i < hex.length(); i++) {
      char c = hex.charAt(i);
      ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    if (!ok) {
      throw new RuleException(
          "The password hash must be exactly 64 characters and contain only lowercase"
              + " hexadecimal characters");
    }
    return hex;
  }

  private void addKeyPattern(String pattern, int flags) throws RuleException {
    if (allKeys) {
      throw new RuleException(
          "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does"
              + " not have any effect. Try 'resetkeys' to start with an empty list of patterns");
    }
    if (pattern.equals("*") && flags == (READ | WRITE)) {
      allKeys = true;
      keys.clear();
      return;
    }
    for (int i = 0; i < keys.size(); i++) {
      if (keys.get(i).pattern().equals(pattern)) {
        // The same pattern again widens what it grants, in its place.
        keys.set(i, new KeyPattern(pattern, keys.get(i).flags() | flags));
        return;
      }
    }
    keys.add(new KeyPattern(pattern, flags));
  }

  private void addChannel(String pattern) throws RuleException {
    if (allChannels) {
      throw new RuleException(
          "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and"
              + " does not have any effect. Try 'resetchannels' to start with an empty list of"
              + " channels");
    }
    if (pattern.equals("*")) {
      allChannels = true;
      channels.clear();
    } else if (!channels.contains(pattern)) {
      channels.add(pattern);
    }
  }

  private void applyCommandRule(boolean allow, String what) throws RuleException {
    if (what.startsWith("@")) {
      String cat = what.substring(1);
      BitSet catBits = cat.equals("all") ? bits.all() : bits.category(cat);
      if (catBits == null) {
        throw new RuleException("Unknown command or category name in ACL");
      }
      if (cat.equals("all")) {
        allFuture = allow;
      }
      change(catBits, allow);
      return;
    }
    int bar = what.indexOf('|');
    String top = bar < 0 ? what : what.substring(0, bar);
    BitSet own = bits.ofCommand(top);
    if (own == null) {
      throw new RuleException("Unknown command or category name in ACL");
    }
    if (bar < 0) {
      change(own, allow);
      return;
    }
    String sub = what.substring(bar + 1);
    CommandSpec container = bits.table().lookupFullName(top);
    if (container.isContainer()) {
      int id = bits.id(top + "|" + sub);
      if (id < 0) {
        throw new RuleException("Unknown command or category name in ACL");
      }
      BitSet one = new BitSet();
      one.set(id);
      change(one, allow);
      return;
    }
    // "+select|0": the command with this first argument only (Redis 7.0 still accepts it).
    if (!allow || sub.isEmpty() || sub.indexOf('|') >= 0) {
      throw new RuleException("Unknown command or category name in ACL");
    }
    int id = own.nextSetBit(0);
    if (!allowed.get(id)) {
      firstArgs.computeIfAbsent(id, k -> new LinkedHashSet<>()).add(sub);
    }
  }

  private void change(BitSet which, boolean allow) {
    if (allow) {
      allowed.or(which);
    } else {
      allowed.andNot(which);
    }
    for (int id = which.nextSetBit(0); id >= 0; id = which.nextSetBit(id + 1)) {
      firstArgs.remove(id);
    }
  }

  // ---- Checks ----

  /** Whether the user may run spec (the subcommand's spec for a container) with argv. */
  boolean canRun(CommandSpec spec, byte[][] argv) {
    int id = bits.id(spec.fullName());
    if (id < 0 || allowed.get(id)) {
      return id >= 0;
    }
    Set<String> args = firstArgs.get(id);
    return args != null
        && argv.length > 1
        && args.contains(new String(argv[1], StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
  }

  boolean allKeys() {
    return allKeys;
  }

  /**
   * Whether the user may use key as a key spec with these flags uses it: access needs read,
   * insert/update/delete need write, and a spec with none of those (TYPE, EXISTS) needs a
   * pattern of either kind.
   */
  boolean canUseKey(byte[] key, Set<String> specFlags) {
    if (allKeys) {
      return true;
    }
    int needed = 0;
    if (specFlags.contains("access")) {
      needed |= READ;
    }
    if (specFlags.contains("insert") || specFlags.contains("update")
        || specFlags.contains("delete")) {
      needed |= WRITE;
    }
    for (KeyPattern p : keys) {
      if ((p.flags() & needed) == needed
          && Glob.match(p.pattern().getBytes(StandardCharsets.ISO_8859_1), key, false)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the user may publish to or subscribe to channel: some {@code &pattern} matches it
   * as a glob. With {@code literal} (PSUBSCRIBE's patterns) the pattern must be one of the
   * user's patterns exactly, as Redis 7.0 checks it: {@code &foo*} allows PSUBSCRIBE foo* but
   * not foo1*, although every channel foo1* matches is allowed.
   */
  boolean canUseChannel(byte[] channel, boolean literal) {
    if (allChannels) {
      return true;
    }
    for (String p : channels) {
      byte[] pattern = p.getBytes(StandardCharsets.ISO_8859_1);
      if (literal ? Arrays.equals(pattern, channel) : Glob.match(pattern, channel, false)) {
        return true;
      }
    }
    return false;
  }

  boolean allChannels() {
    return allChannels;
  }

  // ---- Description (ACL LIST, ACL GETUSER) ----

  List<String> flags() {
    List<String> f = new ArrayList<>();
    f.add(enabled ? "on" : "off");
    if (nopass) {
      f.add("nopass");
    }
    if (sanitize == 2) {
      f.add("skip-sanitize-payload");
    } else if (sanitize == 1) {
      f.add("sanitize-payload");
    }
    return f;
  }

  List<String> passwordHashes() {
    return List.copyOf(passwords);
  }

  /** Key patterns as rules ("~*", "~a %R~b"), "" when none. */
  String keysRule() {
    if (allKeys) {
      return "~*";
    }
    List<String> out = new ArrayList<>();
    for (KeyPattern p : keys) {
      out.add(p.describe());
    }
    return String.join(" ", out);
  }

  /** Channel patterns as GETUSER shows them ("&*", "&a &b"), "" when none. */
  String channelsRule() {
    if (allChannels) {
      return "&*";
    }
    List<String> out = new ArrayList<>();
    for (String c : channels) {
      out.add("&" + c);
    }
    return String.join(" ", out);
  }

  /** The whole user as one ACL LIST line, "user <name> <rules>". */
  String describe() {
    List<String> parts = new ArrayList<>();
    parts.add("user");
    parts.add(name);
    parts.addAll(flags());
    for (String h : passwords) {
      parts.add("#" + h);
    }
    String k = keysRule();
    if (!k.isEmpty()) {
      parts.add(k);
    }
    if (allChannels) {
      parts.add("&*");
    } else {
      parts.add("resetchannels");
      String c = channelsRule();
      if (!c.isEmpty()) {
        parts.add(c);
      }
    }
    parts.add(commandRules());
    return String.join(" ", parts);
  }

  /**
   * The command permissions as rules that rebuild them: +@all or -@all, then the categories
   * that fit best (each time the one that sets the most bits right net of those it sets wrong),
   * then the single commands and subcommands that still differ, and first-argument rules.
   */
  String commandRules() {
    List<String> rules = new ArrayList<>();
    boolean additive = !allFuture;
    rules.add(additive ? "-@all" : "+@all");
    BitSet fake = new BitSet();
    if (!additive) {
      fake.or(bits.all());
    }
    while (true) {
      String best = null;
      int bestScore = 0;
      for (String cat : CommandFlags.ACL) {
        BitSet catBits = bits.category(cat);
        int gain = 0;
        int cost = 0;
        for (int id = catBits.nextSetBit(0); id >= 0; id = catBits.nextSetBit(id + 1)) {
          if (fake.get(id) == additive) {
            continue; // the rule would not change this bit
          }
          if (allowed.get(id) == additive) {
            gain++;
          } else {
            cost++;
          }
        }
        if (gain - cost > bestScore) {
          best = cat;
          bestScore = gain - cost;
        }
      }
      if (best == null) {
        break;
      }
      if (additive) {
        fake.or(bits.category(best));
      } else {
        fake.andNot(bits.category(best));
      }
      rules.add((additive ? "+@" : "-@") + best);
    }
    for (CommandSpec c : bits.table().all()) {
      BitSet own = bits.ofCommand(c.name());
      BitSet mine = (BitSet) allowed.clone();
      mine.and(own);
      BitSet theirs = (BitSet) fake.clone();
      theirs.and(own);
      if (c.isContainer() && !mine.equals(theirs)) {
        if (mine.equals(own)) {
          rules.add("+" + c.name());
          continue;
        }
        if (mine.isEmpty()) {
          rules.add("-" + c.name());
          continue;
        }
      }
      for (int id = own.nextSetBit(0); id >= 0; id = own.nextSetBit(id + 1)) {
        if (c.isContainer() && id == own.nextSetBit(0)) {
          continue; // the container's own bit goes with "+name" above
        }
        if (allowed.get(id) != fake.get(id)) {
          rules.add((allowed.get(id) ? "+" : "-") + bits.leaf(id).fullName());
        } else if (firstArgs.containsKey(id)) {
          for (String arg : firstArgs.get(id)) {
            rules.add("+" + bits.leaf(id).fullName() + "|" + arg);
          }
        }
      }
    }
    return String.join(" ", rules);
  }

  /** What ACL GETUSER answers, as field/value pairs in Redis's order. */
  Map<String, Object> fields() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("flags", flags());
    m.put("passwords", passwordHashes());
    m.put("commands", commandRules());
    m.put("keys", keysRule());
    m.put("channels", channelsRule());
    m.put("selectors", List.of());
    return m;
  }

  static String sha256(String password) {
    return sha256(password.getBytes(StandardCharsets.ISO_8859_1));
  }

  static String sha256(byte[] password) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(password));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
