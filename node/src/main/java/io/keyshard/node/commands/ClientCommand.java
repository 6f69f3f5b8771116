package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.is;
import static io.keyshard.node.commands.Args.str;

import io.keyshard.node.acl.Acl;
import io.keyshard.node.pubsub.Tracking;
import io.keyshard.node.server.ClientRegistry;
import io.keyshard.node.server.Session;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * CLIENT and its subcommands, with Redis 7.0's replies; SETINFO is Redis 7.2's (Jedis and Lettuce
 * send it on connect) and KILL's MAXAGE filter Redis 7.4's. Every Keyshard connection is of type
 * "normal": there are no replicas, masters or subscribers to list or kill.
 */
public final class ClientCommand {
  private final ClientRegistry clients;
  private final Acl acl;
  private final Tracking tracking;

  ClientCommand(ClientRegistry clients, Acl acl, Tracking tracking) {
    this.clients = clients;
    this.acl = acl;
    this.tracking = tracking;
  }

  /** CLIENT REPLY OFF and SKIP answer nothing. */
  private static final Reply NO_REPLY = new Reply.Raw(new byte[0]);

  Reply run(Session s, byte[][] a) {
    String sub = str(a[1]).toLowerCase(Locale.ROOT);
    switch (sub) {
      case "id":
        return Reply.integer(s.id);
      case "setname": {
        Reply bad = setName(s, str(a[2]));
        return bad != null ? bad : Reply.OK;
      }
      case "getname":
        return s.name.isEmpty() ? Reply.NULL : Reply.bulk(s.name);
      case "info":
        return new Reply.Verbatim("txt", Args.bytes(describe(s) + "\n"));
      case "list":
        return list(a);
      case "kill":
        return kill(s, a);
      case "no-evict":
        // Keyshard evicts neither keys nor clients; the flag is kept so CLIENT INFO shows it.
        if (is(a[2], "ON")) {
          s.noEvict = true;
        } else if (is(a[2], "OFF")) {
          s.noEvict = false;
        } else {
          return Err.SYNTAX;
        }
        return Reply.OK;
      case "setinfo":
        return setInfo(s, str(a[2]), str(a[3]));
      case "reply":
        if (is(a[2], "ON")) {
          s.repliesOn();
          return Reply.OK;
        } else if (is(a[2], "OFF")) {
          s.replyOff = true;
          return NO_REPLY;
        } else if (is(a[2], "SKIP")) {
          if (!s.replyOff) {
            s.skipNextReply = true;
          }
          return NO_REPLY;
        }
        return Err.SYNTAX;
      case "tracking":
        return tracking(s, a);
      case "caching":
        return caching(s, a[2]);
      case "getredir": {
        Tracking.Client t = s.tracking;
        return Reply.integer(t == null ? -1 : t.redirect);
      }
      case "trackinginfo":
        return trackingInfo(s);
      case "help":
        return help();
      default:
        return Err.err("unknown subcommand '" + str(a[1]) + "'. Try CLIENT HELP.");
    }
  }

  // ---- client tracking (docs/decisions/2026-12-07-client-tracking.md) ----

  /** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]. */
  private Reply tracking(Session s, byte[][] a) {
    long redirect = 0;
    boolean bcast = false;
    boolean optin = false;
    boolean optout = false;
    boolean noloop = false;
    List<byte[]> prefixes = new ArrayList<>();
    for (int j = 3; j < a.length; j++) {
      boolean more = j < a.length - 1;
      if (is(a[j], "REDIRECT") && more) {
        j++;
        if (redirect != 0) {
          return Err.err("A client can only redirect to a single other client");
        }
        Long id = Args.parseLongOrNull(a[j]);
        if (id == null) {
          return Err.NOT_INTEGER;
        }
        if (clients.get(id) == null) {
          return Err.err("The client ID you want redirect to does not exist");
        }
        redirect = id;
      } else if (is(a[j], "BCAST")) {
        bcast = true;
      } else if (is(a[j], "OPTIN")) {
        optin = true;
      } else if (is(a[j], "OPTOUT")) {
        optout = true;
      } else if (is(a[j], "NOLOOP")) {
        noloop = true;
      } else if (is(a[j], "PREFIX") && more) {
        prefixes.add(a[++j]);
      } else {
        return Err.SYNTAX;
      }
    }
    if (is(a[2], "OFF")) {
      tracking.disable(s);
      return Reply.OK;
    }
    if (!is(a[2], "ON")) {
      return Err.SYNTAX;
    }
    Tracking.Client now = s.tracking;
    if (!bcast && !prefixes.isEmpty()) {
      return Err.err("PREFIX option requires BCAST mode to be enabled");
    }
    if (now != null && now.bcast != bcast) {
      return Err.err(
          "You can't switch BCAST mode on/off before disabling tracking for this client, and then"
              + " re-enabling it with a different mode.");
    }
    if (bcast && (optin || optout)) {
      return Err.err("OPTIN and OPTOUT are not compatible with BCAST");
    }
    if (optin && optout) {
      return Err.err("You can't specify both OPTIN mode and OPTOUT mode");
    }
    if (now != null && ((optin && now.optout) || (optout && now.optin))) {
      return Err.err(
          "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then"
              + " re-enabling it with a different mode.");
    }
    if (bcast) {
      String collision = Tracking.prefixCollision(s, prefixes);
      if (collision != null) {
        return Err.err(collision);
      }
    }
    tracking.enable(s, redirect, bcast, optin, optout, noloop, prefixes);
    return Reply.OK;
  }

  /** CLIENT CACHING YES|NO: whether the next command's reads are remembered (OPTIN, OPTOUT). */
  private static Reply caching(Session s, byte[] arg) {
    Tracking.Client t = s.tracking;
    if (t == null) {
      return Err.err(
          "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
    }
    if (is(arg, "YES")) {
      if (!t.optin) {
        return Err.err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
      }
    } else if (is(arg, "NO")) {
      if (!t.optout) {
        return Err.err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
      }
    } else {
      return Err.SYNTAX;
    }
    s.trackingCaching = true;
    return Reply.OK;
  }

  private static Reply trackingInfo(Session s) {
    Tracking.Client t = s.tracking;
    List<Reply> prefixes = new ArrayList<>();
    if (t != null) {
      t.prefixes().forEach(p -> prefixes.add(Reply.bulk(p)));
    }
    return new Reply.Map(
        List.of(
            Reply.bulk("flags"),
            new Reply.Set(Tracking.flags(s)),
            Reply.bulk("redirect"),
            Reply.integer(t == null ? -1 : t.redirect),
            Reply.bulk("prefixes"),
            Reply.array(prefixes)));
  }

  /** CLIENT SETNAME and HELLO SETNAME: validates, then sets ("" clears); null when it is set. */
  static Reply setName(Session s, String name) {
    if (!printable(name)) {
      return Err.err("Client names cannot contain spaces, newlines or special characters.");
    }
    s.name = name;
    return null;
  }

  /** What Redis lets into a field of CLIENT LIST: '!' to '~' only, so the line stays parseable. */
  private static boolean printable(String v) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '!' || c > '~') {
        return false;
      }
    }
    return true;
  }

  private static Reply setInfo(Session s, String attr, String value) {
    boolean libName = attr.equalsIgnoreCase("lib-name");
    if (!libName && !attr.equalsIgnoreCase("lib-ver")) {
      return Err.err("Unrecognized option '" + attr + "'");
    }
    if (!printable(value)) {
      return Err.err(attr + " cannot contain spaces, newlines or special characters.");
    }
    if (libName) {
      s.libName = value;
    } else {
      s.libVer = value;
    }
    return Reply.OK;
  }

  // ---- LIST ----

  /**
   * {@code LIST}, {@code LIST TYPE t} (exactly), or {@code LIST ID id [id ...]} (each listed as
   * often as it is named, in that order), as Redis 7.0 parses them.
   */
  private Reply list(byte[][] a) {
    List<Session> shown = new ArrayList<>();
    if (a.length == 2) {
      shown.addAll(clients.all());
    } else if (a.length == 4 && is(a[2], "TYPE")) {
      ClientType type = ClientType.parse(a[3]);
      if (type == null) {
        return unknownType(a[3]);
      }
      if (type == ClientType.NORMAL) {
        shown.addAll(clients.all());
      }
    } else if (a.length >= 4 && is(a[2], "ID")) {
      List<Long> ids = new ArrayList<>();
      for (int i = 3; i < a.length; i++) {
        Long id = Args.parseLongOrNull(a[i]);
        if (id == null) {
          return Err.err("Invalid client ID");
        }
        ids.add(id);
      }
      for (long id : ids) {
        Session c = clients.get(id);
        if (c != null) {
          shown.add(c);
        }
      }
    } else {
      return Err.SYNTAX;
    }
    StringBuilder sb = new StringBuilder();
    for (Session c : shown) {
      sb.append(describe(c)).append('\n');
    }
    return new Reply.Verbatim("txt", Args.bytes(sb.toString()));
  }

  private enum ClientType {
    NORMAL,
    MASTER,
    REPLICA,
    PUBSUB;

    /** Redis's getClientTypeByName: "slave" is "replica". Null when unknown. */
    static ClientType parse(byte[] name) {
      if (is(name, "normal")) {
        return NORMAL;
      }
      if (is(name, "master")) {
        return MASTER;
      }
      if (is(name, "replica") || is(name, "slave")) {
        return REPLICA;
      }
      if (is(name, "pubsub")) {
        return PUBSUB;
      }
      return null;
    }
  }

  private static Reply unknownType(byte[] name) {
    return Err.err("Unknown client type '" + str(name) + "'");
  }

  // ---- KILL ----

  /** The new form's filters, all of which a connection must pass to be killed. */
  private record KillFilter(
      Long id, ClientType type, String addr, String laddr, String user, boolean skipMe,
      long maxAge) {

    boolean matches(Session c, Session self, long now) {
      return (id == null || c.id == id)
          && (type == null || type == ClientType.NORMAL)
          && (addr == null || c.addr.equals(addr))
          && (laddr == null || c.laddr.equals(laddr))
          && (user == null || c.user.equals(user))
          && !(skipMe && c == self)
          && (maxAge == 0 || (now - c.createdAt) / 1000 >= maxAge);
    }
  }

  /** Either the parsed filter or the error reply, in Redis's order of checks. */
  private record ParsedKill(KillFilter filter, Reply error) {}

  private Reply kill(Session self, byte[][] a) {
    if (a.length == 3) {
      // The old form, CLIENT KILL ip:port: OK or an error rather than a count.
      String addr = str(a[2]);
      for (Session c : clients.all()) {
        if (c.addr.equals(addr)) {
          close(self, c);
          return Reply.OK;
        }
      }
      return Err.err("No such client");
    }
    ParsedKill parsed = parseKill(a);
    if (parsed.error() != null) {
      return parsed.error();
    }
    long now = System.currentTimeMillis();
    long killed = 0;
    for (Session c : clients.all()) {
      if (parsed.filter().matches(c, self, now)) {
        close(self, c);
        killed++;
      }
    }
    return Reply.integer(killed);
  }

  private ParsedKill parseKill(byte[][] a) {
    Long id = null;
    ClientType type = null;
    String addr = null;
    String laddr = null;
    String user = null;
    boolean skipMe = true;
    long maxAge = 0;
    for (int i = 2; i < a.length; i += 2) {
      boolean more = i + 1 < a.length;
      if (!more) {
        return new ParsedKill(null, Err.SYNTAX);
      }
      byte[] v = a[i + 1];
      if (is(a[i], "ID")) {
        id = Args.parseLongOrNull(v);
        if (id == null || id < 1) {
          return new ParsedKill(null, Err.err("client-id should be greater than 0"));
        }
      } else if (is(a[i], "TYPE")) {
        type = ClientType.parse(v);
        if (type == null) {
          return new ParsedKill(null, unknownType(v));
        }
      } else if (is(a[i], "ADDR")) {
        addr = str(v);
      } else if (is(a[i], "LADDR")) {
        laddr = str(v);
      } else if (is(a[i], "USER")) {
        user = str(v);
        if (acl.user(user) == null) {
          return new ParsedKill(null, Err.err("No such user '" + user + "'"));
        }
      } else if (is(a[i], "SKIPME")) {
        if (is(v, "YES")) {
          skipMe = true;
        } else if (is(v, "NO")) {
          skipMe = false;
        } else {
          return new ParsedKill(null, Err.SYNTAX);
        }
      } else if (is(a[i], "MAXAGE")) {
        Long age = Args.parseLongOrNull(v);
        if (age == null) {
          return new ParsedKill(null, Err.err("maxage is not an integer or out of range"));
        }
        if (age <= 0) {
          return new ParsedKill(null, Err.err("maxage should be greater than 0"));
        }
        maxAge = age;
      } else {
        return new ParsedKill(null, Err.SYNTAX);
      }
    }
    return new ParsedKill(new KillFilter(id, type, addr, laddr, user, skipMe, maxAge), null);
  }

  private void close(Session self, Session victim) {
    if (victim == self) {
      // Answer first, then close, as Redis does for a client that kills itself.
      self.closeAfterReply = true;
    } else {
      victim.kill();
      // Its stream ends asynchronously; as in Redis, a killed client is gone from the next
      // CLIENT LIST (and KILL) at once.
      clients.remove(victim);
    }
  }

  // ---- INFO / LIST line ----

  /**
   * One CLIENT LIST line without its newline, with Redis 7.0's fields in Redis's order so that
   * parsers written for Redis work. Values Keyshard does not track (buffer sizes, fd) are fixed.
   */
  public static String describe(Session c) {
    long now = System.currentTimeMillis();
    return "id=" + c.id
        + " addr=" + c.addr
        + " laddr=" + c.laddr
        + " fd=" + (c.id + 7)
        + " name=" + c.name
        + " age=" + (now - c.createdAt) / 1000
        + " idle=" + (now - c.lastCommandAt) / 1000
        + " flags=" + flags(c)
        + " db=" + c.db
        + " sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0"
        + " rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r"
        + " cmd=" + c.lastCommand
        + " user=" + c.user
        + " redir=-1"
        + " resp=" + c.proto;
  }

  /** Redis's flag letters that apply to a Keyshard connection; N when none does. */
  private static String flags(Session c) {
    StringBuilder f = new StringBuilder();
    if (c.blockedOn != null) {
      f.append('b');
    }
    Tracking.Client t = c.tracking;
    if (t != null) {
      f.append('t');
      if (t.brokenRedirect()) {
        f.append('R');
      }
      if (t.bcast) {
        f.append('B');
      }
    }
    if (c.closeAfterReply) {
      f.append('c');
    }
    if (c.noEvict) {
      f.append('e');
    }
    return f.length() == 0 ? "N" : f.toString();
  }

  private static Reply help() {
    List<Reply> lines = new ArrayList<>();
    for (String line :
        List.of(
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * MAXAGE <seconds>",
            "      Kill connections older than <seconds>.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "    * ID <client-id> [<client-id> ...]",
            "      Return clients with the given IDs.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attributes. Options are:",
            "    * LIB-NAME: the client library name.",
            "    * LIB-VER: the client library version.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "REPLY (ON|OFF|SKIP)",
            "    Whether replies are sent: always, never, or not for the next command.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT] [NOLOOP]",
            "    Turn server-assisted client side caching on or off for this connection.",
            "CACHING (YES|NO)",
            "    With OPTIN or OPTOUT tracking: whether the next command's keys are tracked.",
            "GETREDIR",
            "    The client id invalidations are redirected to (0: none, -1: tracking off).",
            "TRACKINGINFO",
            "    This connection's tracking flags, redirect and prefixes.",
            "HELP",
            "    Prints this help.")) {
      lines.add(Reply.simple(line));
    }
    return Reply.array(lines);
  }
}
