package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.is;
import static io.keyshard.node.commands.Args.str;

import io.keyshard.node.server.ClientRegistry;
import io.keyshard.node.server.Session;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.util.List;

/** CLIENT and its subcommands. */
final class ClientCommand {
  private final ClientRegistry clients;

  ClientCommand(ClientRegistry clients) {
    this.clients = clients;
  }

  Reply run(Session s, byte[][] a) {
    String sub = str(a[1]).toLowerCase();
    switch (sub) {
      case "id":
        return Reply.integer(s.id);
      case "setname": {
        String name = str(a[2]);
        Reply bad = validateName(name);
        if (bad != null) {
          return bad;
        }
        s.name = name;
        return Reply.OK;
      }
      case "getname":
        return s.name.isEmpty() ? Reply.NULL : Reply.bulk(s.name);
      case "info":
        return new Reply.Verbatim("txt", Args.bytes(describe(s, s)));
      case "list": {
        StringBuilder sb = new StringBuilder();
        for (Session other : clients.all()) {
          sb.append(describe(other, s));
        }
        return new Reply.Verbatim("txt", Args.bytes(sb.toString()));
      }
      case "kill":
        return kill(s, a);
      case "no-evict":
        if (is(a[2], "ON")) {
          s.noEvict = true;
        } else if (is(a[2], "OFF")) {
          s.noEvict = false;
        } else {
          return Err.SYNTAX;
        }
        return Reply.OK;
      case "setinfo": {
        String attr = str(a[2]).toLowerCase();
        String value = str(a[3]);
        if (value.chars().anyMatch(c -> c < '!' || c > '~')) {
          return Err.err(
              attr + " cannot contain spaces, newlines or special characters.");
        }
        if (attr.equals("lib-name")) {
          s.libName = value;
        } else if (attr.equals("lib-ver")) {
          s.libVer = value;
        } else {
          return Err.err("Unrecognized option '" + str(a[2]) + "'");
        }
        return Reply.OK;
      }
      case "help":
        return Reply.array(
            List.of(
                Reply.simple("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
                Reply.simple("ID"),
                Reply.simple("    Return the ID of the current connection."),
                Reply.simple("HELP"),
                Reply.simple("    Print this help.")));
      default:
        return Err.err(
            "unknown subcommand '" + str(a[1]) + "'. Try CLIENT HELP.");
    }
  }

  static Reply validateName(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '!' || c > '~') {
        return Err.err("Client names cannot contain spaces, newlines or special characters.");
      }
    }
    return null;
  }

  private Reply kill(Session self, byte[][] a) {
    if (a.length == 3) {
      // Old form: CLIENT KILL addr:port
      String addr = str(a[2]);
      for (Session other : clients.all()) {
        if (other.addr.equals(addr)) {
          killOne(self, other);
          return Reply.OK;
        }
      }
      return Err.err("No such client");
    }
    if ((a.length - 2) % 2 != 0) {
      return Err.SYNTAX;
    }
    Long id = null;
    String addr = null;
    String laddr = null;
    String user = null;
    boolean skipMe = true;
    for (int i = 2; i < a.length; i += 2) {
      String v = str(a[i + 1]);
      if (is(a[i], "ID")) {
        id = Args.parseLongOrNull(a[i + 1]);
        if (id == null) {
          return Err.err("client-id should be greater than 0");
        }
      } else if (is(a[i], "ADDR")) {
        addr = v;
      } else if (is(a[i], "LADDR")) {
        laddr = v;
      } else if (is(a[i], "USER")) {
        user = v;
      } else if (is(a[i], "SKIPME")) {
        if (is(a[i + 1], "YES")) {
          skipMe = true;
        } else if (is(a[i + 1], "NO")) {
          skipMe = false;
        } else {
          return Err.SYNTAX;
        }
      } else if (is(a[i], "TYPE")) {
        if (!is(a[i + 1], "NORMAL") && !is(a[i + 1], "MASTER") && !is(a[i + 1], "REPLICA")
            && !is(a[i + 1], "SLAVE") && !is(a[i + 1], "PUBSUB")) {
          return Err.err("Unknown client type '" + v + "'");
        }
        if (!is(a[i + 1], "NORMAL")) {
          return Reply.ZERO;
        }
      } else {
        return Err.SYNTAX;
      }
    }
    long killed = 0;
    for (Session other : clients.all()) {
      if ((id != null && other.id != id)
          || (addr != null && !other.addr.equals(addr))
          || (laddr != null && !other.laddr.equals(laddr))
          || (user != null && !other.user.equals(user))
          || (skipMe && other == self)) {
        continue;
      }
      killOne(self, other);
      killed++;
    }
    return Reply.integer(killed);
  }

  private static void killOne(Session self, Session other) {
    if (other == self) {
      // Answer first, then close, as Redis does for a client that kills itself.
      self.closeAfterReply = true;
    } else {
      other.kill();
    }
  }

  static String describe(Session c, Session viewer) {
    long now = System.currentTimeMillis();
    return "id=" + c.id
        + " addr=" + c.addr
        + " laddr=" + c.laddr
        + " fd=" + (c.id + 7)
        + " name=" + c.name
        + " age=" + (now - c.createdAt) / 1000
        + " idle=" + (now - c.lastCommandAt) / 1000
        + " flags=N"
        + " db=" + c.db
        + " sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0"
        + " rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r"
        + " cmd=" + c.lastCommand.toLowerCase()
        + " user=" + c.user
        + " redir=-1"
        + " resp=" + c.proto
        + "\n";
  }
}
