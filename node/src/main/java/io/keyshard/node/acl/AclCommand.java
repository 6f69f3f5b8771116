package io.keyshard.node.acl;

import io.keyshard.node.commands.Args;
import io.keyshard.node.server.ClientRegistry;
import io.keyshard.node.server.Session;
import io.keyshard.protocol.CommandFlags;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ACL CAT, DELUSER, DRYRUN, GENPASS, GETUSER, HELP, LIST, LOG, SETUSER, USERS and WHOAMI, with Redis
 * 7.0's replies. The command table has already checked the subcommand and its arity.
 */
public final class AclCommand {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Acl acl;
  private final ClientRegistry clients;

  public AclCommand(Acl acl, ClientRegistry clients) {
    this.acl = acl;
    this.clients = clients;
  }

  public Reply run(Session s, byte[][] a) {
    String sub = text(a[1]).toLowerCase(Locale.ROOT);
    return switch (sub) {
      case "whoami" -> Reply.bulk(s.user);
      case "users" -> users();
      case "list" -> list();
      case "getuser" -> getUser(text(a[2]));
      case "setuser" -> setUser(s, a);
      case "deluser" -> delUser(s, a);
      case "cat" -> cat(a);
      case "dryrun" -> dryRun(a);
      case "genpass" -> genPass(a);
      case "log" -> log(a);
      case "help" -> help();
      default -> throw new IllegalStateException("ACL subcommand without a handler: " + sub);
    };
  }

  /** Rule and user names as ISO-8859-1, one char per byte, so any bytes survive. */
  private static String text(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  private static Reply bulk(String isoText) {
    return Reply.bulk(isoText.getBytes(StandardCharsets.ISO_8859_1));
  }

  private Reply users() {
    List<Reply> names = new ArrayList<>();
    for (AclUser u : acl.users()) {
      names.add(bulk(u.name()));
    }
    return Reply.array(names);
  }

  private Reply list() {
    List<Reply> lines = new ArrayList<>();
    for (AclUser u : acl.users()) {
      lines.add(bulk(u.describe()));
    }
    return Reply.array(lines);
  }

  private Reply getUser(String name) {
    AclUser u = acl.user(name);
    if (u == null) {
      return Reply.NULL;
    }
    List<Reply> kv = new ArrayList<>();
    for (Map.Entry<String, Object> e : u.fields().entrySet()) {
      kv.add(Reply.bulk(e.getKey()));
      if (e.getValue() instanceof List<?> items) {
        List<Reply> r = new ArrayList<>();
        for (Object o : items) {
          r.add(bulk((String) o));
        }
        kv.add(Reply.array(r));
      } else {
        kv.add(bulk((String) e.getValue()));
      }
    }
    return new Reply.Map(kv);
  }

  /**
   * Changes or creates the user, then closes its connections holding a subscription the new
   * rules no longer allow (this one after the reply), as Redis 7.0 does.
   */
  private Reply setUser(Session self, byte[][] a) {
    List<String> rules = new ArrayList<>();
    for (int i = 3; i < a.length; i++) {
      rules.add(text(a[i]));
    }
    String name = text(a[2]);
    String error = acl.setUser(name, rules);
    if (error != null) {
      return Err.err(error);
    }
    for (Session c : clients.all()) {
      if (c.user.equals(name) && !acl.subscriptionsAllowed(c)) {
        close(self, c);
      }
    }
    return Reply.OK;
  }

  /**
   * Closes c: this connection after its reply, another one now. It leaves CLIENT LIST at once,
   * as Redis frees it before answering (its stream ends, and deregisters it again, just after).
   */
  private void close(Session self, Session c) {
    if (c == self) {
      c.closeAfterReply = true;
    } else {
      c.kill();
      clients.remove(c);
    }
  }

  /** ACL LOG [count | RESET]. */
  private Reply log(byte[][] a) {
    if (a.length > 3) {
      return Err.err(
          "unknown subcommand or wrong number of arguments for '" + text(a[1]) + "'. Try ACL HELP.");
    }
    if (a.length == 2) {
      return acl.log().render(10L); // Redis shows the 10 newest unless asked for more
    }
    if (text(a[2]).equalsIgnoreCase("reset")) {
      acl.log().reset();
      return Reply.OK;
    }
    Long count = Args.parseLongOrNull(a[2]);
    if (count == null) {
      return Err.err("value is not an integer or out of range");
    }
    return acl.log().render(Math.max(count, 0));
  }

  /**
   * Deletes the users and closes their connections (this one after the reply), as Redis does;
   * the default user cannot be deleted, and naming it deletes nothing.
   */
  private Reply delUser(Session self, byte[][] a) {
    for (int i = 2; i < a.length; i++) {
      if (text(a[i]).equals(Acl.DEFAULT)) {
        return Err.err("The 'default' user cannot be removed");
      }
    }
    int deleted = 0;
    for (int i = 2; i < a.length; i++) {
      String name = text(a[i]);
      if (acl.delete(name)) {
        deleted++;
        for (Session c : clients.all()) {
          if (c.user.equals(name)) {
            close(self, c);
          }
        }
      }
    }
    return Reply.integer(deleted);
  }

  private Reply cat(byte[][] a) {
    if (a.length > 3) {
      return Err.err(
          "unknown subcommand or wrong number of arguments for '" + text(a[1]) + "'. Try ACL HELP.");
    }
    List<Reply> out = new ArrayList<>();
    if (a.length == 2) {
      for (String c : CommandFlags.ACL) {
        out.add(Reply.bulk(c));
      }
      return Reply.array(out);
    }
    String category = text(a[2]).toLowerCase(Locale.ROOT);
    if (!acl.isCategory(category)) {
      return Err.err("Unknown category '" + text(a[2]) + "'");
    }
    for (String name : acl.commandsIn(category)) {
      out.add(Reply.bulk(name));
    }
    return Reply.array(out);
  }

  /** ACL DRYRUN user command [arg ...]: whether the user could run it, without running it. */
  private Reply dryRun(byte[][] a) {
    AclUser u = acl.user(text(a[2]));
    if (u == null) {
      return Err.err("User '" + text(a[2]) + "' not found");
    }
    byte[][] argv = Arrays.copyOfRange(a, 3, a.length);
    CommandSpec spec = acl.table().resolve(argv);
    if (spec == null || (spec.isContainer() && argv.length > 1)) {
      return Err.err("Command '" + new String(a[3], StandardCharsets.UTF_8) + "' not found");
    }
    Reply invalid = acl.table().check(argv);
    if (invalid != null) {
      return invalid;
    }
    Acl.Denial denied = acl.denial(u, spec, argv);
    return denied == null ? Reply.OK : Reply.bulk(denied.dryRunText());
  }

  /** ACL GENPASS [bits]: that many random bits (256 by default) as hex digits. */
  private Reply genPass(byte[][] a) {
    if (a.length > 3) {
      return Err.err(
          "unknown subcommand or wrong number of arguments for '" + text(a[1]) + "'. Try ACL HELP.");
    }
    long bits = 256;
    if (a.length == 3) {
      Long v = Args.parseLongOrNull(a[2]);
      if (v == null) {
        return Err.err("value is not an integer or out of range");
      }
      if (v <= 0 || v > 4096) {
        return Err.err(
            "ACL GENPASS argument must be the number of bits for the output password, a positive"
                + " number up to 4096");
      }
      bits = v;
    }
    int chars = (int) ((bits + 3) / 4);
    byte[] random = new byte[(chars + 1) / 2];
    RANDOM.nextBytes(random);
    return Reply.bulk(HexFormat.of().formatHex(random).substring(0, chars));
  }

  private static Reply help() {
    List<Reply> lines = new ArrayList<>();
    for (String line :
        List.of(
            "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CAT [<category>]",
            "    Without a category: the category names. With one: the commands in it.",
            "DELUSER <username> [<username> ...]",
            "    Remove users (never 'default') and close their connections.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Tell whether the user may run the command, without running it.",
            "GETUSER <username>",
            "    The user's flags, password hashes, commands, keys and channels.",
            "GENPASS [<bits>]",
            "    A random password of 256 bits, or of <bits> bits, in hex digits.",
            "LIST",
            "    Every user as one line of rules, as in a configuration file.",
            "LOG [<count> | RESET]",
            "    The latest denials (commands, keys, channels, AUTH), or clear them.",
            "USERS",
            "    The names of all users.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create a user, or change one, by applying the rules in order.",
            "WHOAMI",
            "    The user this connection is signed in as.",
            "HELP",
            "    Prints this help.")) {
      lines.add(Reply.simple(line));
    }
    return Reply.array(lines);
  }
}
