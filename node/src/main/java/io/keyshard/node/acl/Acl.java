package io.keyshard.node.acl;

import io.keyshard.node.commands.ClientCommand;
import io.keyshard.node.server.Session;
import io.keyshard.persistence.Bytes;
import io.keyshard.protocol.CommandFlags;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.CommandTable;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Map;
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
  static final String NOPERM_CHANNELS =
      "NOPERM this user has no permissions to access one of the channels used as arguments";

  /**
   * Why a user may not run a command: reason is ACL LOG's ("command", "key", "channel"), object
   * what was refused (the command's full name, the first key or channel refused).
   */
  public record Denial(String reason, byte[] object) {
    /** The NOPERM error a client gets. */
    public String text() {
      return switch (reason) {
        case "key" -> NOPERM_KEYS;
        case "channel" -> NOPERM_CHANNELS;
        default ->
            "NOPERM this user has no permissions to run the '"
                + new String(object, StandardCharsets.UTF_8) + "' command";
      };
    }

    /** ACL DRYRUN's words, naming what was refused. */
    String dryRunText() {
      String what = new String(object, StandardCharsets.UTF_8);
      return switch (reason) {
        case "key" -> "This user has no permissions to access the '" + what + "' key";
        case "channel" -> "This user has no permissions to access the '" + what + "' channel";
        default -> "This user has no permissions to run the '" + what + "' command";
      };
    }
  }

  private final CommandBits bits;
  private final ConcurrentSkipListMap<String, AclUser> users = new ConcurrentSkipListMap<>();
  private final AclLog log = new AclLog();
  /** acl-pubsub-default: whether new and RESET users get every channel (Redis 7.0: no). */
  private volatile boolean pubsubDefaultAll;

  /**
   * Users from the configuration: each line as ACL LIST prints one ("user alice on #... ~* +@all"),
   * rules separated by spaces; then requirepass, when set, becomes the default user's only
   * password. pubsubDefaultAll is acl-pubsub-default. Fails with the offending rule (passwords masked) if a line is invalid.
   */
  public Acl(CommandTable table, List<String> configured, String requirePass, boolean pubsubDefaultAll) {
    this.bits = new CommandBits(table);
    this.pubsubDefaultAll = pubsubDefaultAll;
    AclUser def = new AclUser(bits, DEFAULT, this::pubsubDefaultAll);
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

  public boolean pubsubDefaultAll() {
    return pubsubDefaultAll;
  }

  /** CONFIG SET acl-pubsub-default: users made or RESET from now on; existing ones keep theirs. */
  public void setPubsubDefaultAll(boolean all) {
    pubsubDefaultAll = all;
  }

  public AclLog log() {
    return log;
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
    AclUser next = existing == null ? new AclUser(bits, name, this::pubsubDefaultAll) : existing.copy();
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
   * command on its keys and channels, else the NOPERM reply, logged in ACL LOG (context "multi"
   * while the command is being queued). Commands that need no authentication (AUTH, HELLO,
   * QUIT, RESET) are always allowed, as in Redis.
   */
  public Reply check(Session s, CommandSpec top, CommandSpec spec, byte[][] argv) {
    Denial d = deny(s, top, spec, argv);
    if (d == null) {
      return null;
    }
    logDenial(s, d, s.multi != null ? "multi" : "toplevel");
    return Reply.error(d.text());
  }

  /** Why the session's user may not run the command, or null; nothing is logged. */
  public Denial deny(Session s, CommandSpec top, CommandSpec spec, byte[][] argv) {
    if (top.flags().contains(CommandFlags.NO_AUTH)) {
      return null;
    }
    AclUser u = users.get(s.user);
    if (u != null && u.unrestricted()) {
      return null;
    }
    return denial(u, spec, argv);
  }

  /** Adds a denial of this session's command to ACL LOG. */
  public void logDenial(Session s, Denial d, String context) {
    log.add(d.reason(), context, d.object(), s.user, ClientCommand.describe(s));
  }

  /**
   * A failed AUTH or HELLO AUTH, logged as Redis 7.0 does: the object is the command's name as
   * the client typed it ("AUTH", "hello"), the user the name tried.
   */
  public void logAuthFailure(Session s, String triedUser, byte[] typedCommand) {
    log.add("auth", s.multi != null ? "multi" : "toplevel", typedCommand, triedUser,
        ClientCommand.describe(s));
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
   * reply that says the rules changed since the command was queued (logged, context "multi").
   */
  public Reply recheck(Session s, CommandSpec top, CommandSpec spec, byte[][] argv) {
    Denial d = deny(s, top, spec, argv);
    if (d == null) {
      return null;
    }
    logDenial(s, d, "multi");
    return Reply.error(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the"
            + " EXEC call. This command is no longer allowed for the following reason: "
            + switch (d.reason()) {
              case "key" -> "no permission to touch the specified keys";
              case "channel" -> "no permission to access one of the channels used as arguments";
              default -> "no permission to execute the command or subcommand";
            });
  }

  /** Why user may not run spec with argv, or null: the command, then its keys, then channels. */
  Denial denial(AclUser u, CommandSpec spec, byte[][] argv) {
    if (u == null || !u.canRun(spec, argv)) {
      return new Denial("command", spec.fullName().getBytes(StandardCharsets.UTF_8));
    }
    if (!u.allKeys()) {
      for (CommandTable.KeyRef k : bits.table().keysWithSpecs(spec, argv)) {
        if (k.spec().flags().contains("not_key")) {
          continue; // SSUBSCRIBE's and SPUBLISH's shard channels: checked as channels below
        }
        if (!u.canUseKey(argv[k.pos()], keyFlags(spec, k.spec(), argv))) {
          return new Denial("key", argv[k.pos()]);
        }
      }
    }
    if (!u.allChannels()) {
      boolean patterns = spec.fullName().equals("psubscribe");
      for (int i = 1; i <= lastChannel(spec.fullName(), argv.length); i++) {
        if (!u.canUseChannel(argv[i], patterns)) {
          return new Denial("channel", argv[i]);
        }
      }
    }
    return null;
  }

  /**
   * The position of a command's last channel argument (its first is 1), 0 for none: as Redis
   * 7.0, the commands that name channels are PUBLISH and SPUBLISH (one) and SUBSCRIBE,
   * SSUBSCRIBE and PSUBSCRIBE (all their arguments); the UNSUBSCRIBEs and PUBSUB need none.
   */
  private static int lastChannel(String command, int argc) {
    return switch (command) {
      case "publish", "spublish" -> Math.min(1, argc - 1);
      case "subscribe", "ssubscribe", "psubscribe" -> argc - 1;
      default -> 0;
    };
  }

  /**
   * Whether every subscription of session is still allowed to its user (ACL SETUSER narrowed
   * the channels, or the user is gone): Redis 7.0 closes the connections for which it is not.
   */
  public boolean subscriptionsAllowed(Session s) {
    AclUser u = users.get(s.user);
    if (u != null && u.allChannels()) {
      return true;
    }
    if (!s.subscribed()) {
      return true;
    }
    if (u == null) {
      return false;
    }
    for (var names : List.of(s.channels, s.shardChannels)) {
      for (var name : names(names)) {
        if (!u.canUseChannel(name.array(), false)) {
          return false;
        }
      }
    }
    for (var name : names(s.patterns)) {
      if (!u.canUseChannel(name.array(), true)) {
        return false;
      }
    }
    return true;
  }

  /** A copy of a connection's subscription names, read from another connection's thread. */
  private static List<Bytes> names(Map<Bytes, ?> subscriptions) {
    while (true) {
      try {
        synchronized (subscriptions) {
          return List.copyOf(subscriptions.keySet());
        }
      } catch (ConcurrentModificationException e) {
        // Its own connection changed it meanwhile; read it again.
      }
    }
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
