package io.keyshard.node.acl;

import io.keyshard.node.server.Session;
import io.keyshard.protocol.CommandFlags;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.CommandTable;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The node's ACL users, as Redis 7.0 has them: the "default" user (whose password is
 * requirepass) and those made by ACL SETUSER or listed in {@code keyshard.acl.users}. Kept in
 * memory, per node. A change replaces the user with a new immutable version, so the permission
 * check before dispatch ({@link #check}) reads without locks.
 */
public final class Acl {
  public static final String DEFAULT = "default";

  static final String NOPERM_KEYS =
      "NOPERM this user has no permissions to access one of the keys used as arguments";

  private final CommandBits bits;
  private final ConcurrentSkipListMap<String, AclUser> users = new ConcurrentSkipListMap<>();

  /**
   * Users from the configuration: each line as ACL LIST prints one ("user alice on #... ~* +@all"),
   * rules separated by spaces; then requirepass, when set, becomes the default user's only
   * password. Fails with the offending rule (passwords masked) if a line is invalid.
   */
  public Acl(CommandTable table, List<String> configured, String requirePass) {
    this.bits = new CommandBits(table);
    AclUser def = new AclUser(bits, DEFAULT);
    try {
      for (String rule : List.of("on", "nopass", "~*", "&*", "+@all")) {
        def.apply(rule);
      }
    } catch (AclUser.RuleException e) {
      throw new IllegalStateException(e);
    }
    users.put(DEFAULT, def);
    for (String line : configured) {
      String[] words = line.trim().split("\\s+");
      if (words.length < 2 || !words[0].equals("user")) {
        throw new IllegalArgumentException(
            "keyshard.acl.users: each entry must be 'user <name> <rules...>', got '"
                + masked(line) + "'");
      }
      List<String> rules = List.of(words).subList(2, words.length);
      String error = setUser(words[1], rules);
      if (error != null) {
        throw new IllegalArgumentException(
            "keyshard.acl.users: user '" + words[1] + "': " + masked(error));
      }
    }
    if (requirePass != null) {
      setDefaultPassword(requirePass);
    }
  }

  /** A rule text with any clear-text password replaced, for logs and start-up errors. */
  private static String masked(String text) {
    return text.replaceAll("(^|[\\s'])[<>]\\S*", "$1<password>");
  }

  public CommandTable table() {
    return bits.table();
  }

  public AclUser user(String name) {
    return users.get(name);
  }

  public Collection<AclUser> users() {
    return users.values();
  }

  /**
   * ACL SETUSER: applies the rules in order to a copy of the user (a new one if there is none)
   * and publishes it only if all of them are valid. Null when done, otherwise the error text
   * without "ERR ".
   */
  public synchronized String setUser(String name, List<String> rules) {
    if (name.indexOf(' ') >= 0 || name.indexOf('\0') >= 0) {
      return "Usernames can't contain spaces or null characters";
    }
    AclUser existing = users.get(name);
    AclUser next = existing == null ? new AclUser(bits, name) : existing.copy();
    for (String rule : rules) {
      try {
        next.apply(rule);
      } catch (AclUser.RuleException e) {
        return "Error in ACL SETUSER modifier '" + rule + "': " + e.getMessage();
      }
    }
    users.put(name, next);
    return null;
  }

  /** ACL DELUSER of one user (never the default one): whether it existed. */
  public synchronized boolean delete(String name) {
    return !name.equals(DEFAULT) && users.remove(name) != null;
  }

  /** CONFIG SET requirepass (and requirepass at start-up): the default user's only password. */
  public synchronized void setDefaultPassword(String pass) {
    setUser(DEFAULT, pass == null || pass.isEmpty() ? List.of("nopass") : List.of("resetpass", ">" + pass));
  }

  /** AUTH and HELLO AUTH: the user exists, is on, and the password opens it. */
  public boolean authenticate(String user, byte[] pass) {
    AclUser u = users.get(user);
    return u != null && u.accepts(pass);
  }

  /** The default user needs no password: AUTH <password> alone is then an error, as in Redis. */
  public boolean defaultHasNoPassword() {
    return users.get(DEFAULT).nopass();
  }

  /**
   * A new (or RESET) connection is signed in as the default user when that user is on and needs
   * no password.
   */
  public boolean signedInOnConnect() {
    AclUser def = users.get(DEFAULT);
    return def.nopass() && def.enabled();
  }

  /** NOAUTH applies: the connection has not signed in and the default user cannot be used. */
  public boolean authRequired(Session s) {
    return !s.authenticated && !signedInOnConnect();
  }

  /**
   * The permission check before any handler runs: null if the session's user may run the
   * command on its keys, else the NOPERM reply. Commands that need no authentication (AUTH,
   * HELLO, QUIT, RESET) are always allowed, as in Redis.
   */
  public Reply check(Session s, CommandSpec top, CommandSpec spec, byte[][] argv) {
    if (top.flags().contains(CommandFlags.NO_AUTH)) {
      return null;
    }
    AclUser u = users.get(s.user);
    if (u != null && u.unrestricted()) {
      return null;
    }
    String denied = denial(u, spec, argv, false);
    return denied == null ? null : Reply.error(denied);
  }

  /**
   * Whether the session's user may read every key, as SORT's BY and GET need (Redis checks the
   * key "*" for read access against the user's patterns).
   */
  public boolean readsEveryKey(Session s) {
    AclUser u = users.get(s.user);
    return u != null
        && (u.unrestricted() || u.allKeys() || u.canUseKey(new byte[] {'*'}, Set.of("RO", "access")));
  }

  /**
   * The check again when EXEC runs a queued command: null if still allowed, else the NOPERM
   * reply that says the rules changed since the command was queued.
   */
  public Reply recheck(Session s, CommandSpec top, CommandSpec spec, byte[][] argv) {
    Reply denied = check(s, top, spec, argv);
    if (denied == null) {
      return null;
    }
    boolean keys = ((Reply.Error) denied).text().equals(NOPERM_KEYS);
    return Reply.error(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the"
            + " EXEC call. This command is no longer allowed for the following reason: "
            + (keys
                ? "no permission to touch the specified keys"
                : "no permission to execute the command or subcommand"));
  }

  /**
   * Why user may not run spec with argv, or null: with {@code dryRun} in ACL DRYRUN's words
   * (naming the key), otherwise as the NOPERM error.
   */
  String denial(AclUser u, CommandSpec spec, byte[][] argv, boolean dryRun) {
    if (u == null || !u.canRun(spec, argv)) {
      return (dryRun ? "This" : "NOPERM this")
          + " user has no permissions to run the '" + spec.fullName() + "' command";
    }
    if (!u.allKeys()) {
      for (CommandTable.KeyRef k : bits.table().keysWithSpecs(spec, argv)) {
        if (!u.canUseKey(argv[k.pos()], keyFlags(spec, k.spec(), argv))) {
          return dryRun
              ? "This user has no permissions to access the '"
                  + new String(argv[k.pos()], StandardCharsets.UTF_8) + "' key"
              : NOPERM_KEYS;
        }
      }
    }
    return null;
  }

  private static final Set<String> SET_WITHOUT_GET = Set.of("OW", "update");

  /**
   * The flags a key is used with. A spec flagged variable_flags (SET's) depends on the
   * arguments, as Redis's getkeys function for it decides: SET reads the old value only with GET.
   */
  private static Set<String> keyFlags(
      CommandSpec spec, CommandSpec.KeySpec ks, byte[][] argv) {
    if (!ks.flags().contains("variable_flags") || !spec.fullName().equals("set")) {
      return ks.flags();
    }
    for (int i = 3; i < argv.length; i++) {
      if (new String(argv[i], StandardCharsets.ISO_8859_1).equalsIgnoreCase("get")) {
        return ks.flags();
      }
    }
    return SET_WITHOUT_GET;
  }

  /** ACL CAT category: the commands and subcommands in it, by full name. */
  List<String> commandsIn(String category) {
    List<String> names = new ArrayList<>();
    BitSet cat = bits.category(category);
    for (int id = cat.nextSetBit(0); id >= 0; id = cat.nextSetBit(id + 1)) {
      names.add(bits.leaf(id).fullName());
    }
    return names;
  }

  boolean isCategory(String name) {
    return bits.category(name) != null;
  }
}
