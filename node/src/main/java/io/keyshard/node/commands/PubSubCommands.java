package io.keyshard.node.commands;

import io.keyshard.node.pubsub.PubSub;
import io.keyshard.node.pubsub.PubSub.Kind;
import io.keyshard.node.pubsub.PubSub.Subscription;
import io.keyshard.node.server.Session;
import io.keyshard.persistence.Bytes;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.RespWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UNSUBSCRIBEs, PUBLISH, SPUBLISH and PUBSUB, with
 * Redis 7.0's replies (docs/decisions/2026-12-07-pubsub.md). A (un)subscribe changes the
 * connection's own view at once (so the commands after it see it) and registers or withdraws the
 * subscription with the node as its confirmation goes out.
 */
final class PubSubCommands {
  private final PubSub pubsub;
  /** PUBLISH's delivery beyond this node (the cluster's other members), or none. */
  private volatile BiFunction<byte[], byte[], Integer> elsewhere = (c, m) -> 0;

  PubSubCommands(PubSub pubsub) {
    this.pubsub = pubsub;
  }

  void setElsewhere(BiFunction<byte[], byte[], Integer> elsewhere) {
    this.elsewhere = elsewhere;
  }

  void register(CommandRegistry.Builder r) {
    r.session("subscribe", ServerCommands.sync((s, a) -> subscribe(s, a, Kind.CHANNEL)));
    r.session("psubscribe", ServerCommands.sync((s, a) -> subscribe(s, a, Kind.PATTERN)));
    r.session("ssubscribe", ServerCommands.sync((s, a) -> subscribe(s, a, Kind.SHARD)));
    r.session("unsubscribe", ServerCommands.sync((s, a) -> unsubscribe(s, a, Kind.CHANNEL)));
    r.session("punsubscribe", ServerCommands.sync((s, a) -> unsubscribe(s, a, Kind.PATTERN)));
    r.session("sunsubscribe", ServerCommands.sync((s, a) -> unsubscribe(s, a, Kind.SHARD)));
    r.session("publish", ServerCommands.sync((s, a) -> publish(a)));
    r.session("spublish", ServerCommands.sync((s, a) -> Reply.integer(pubsub.publishShard(a[1], a[2]))));
    r.session("pubsub", ServerCommands.sync((s, a) -> introspect(a)));
  }

  private static Map<Bytes, Subscription> of(Session s, Kind kind) {
    return switch (kind) {
      case CHANNEL -> s.channels;
      case PATTERN -> s.patterns;
      case SHARD -> s.shardChannels;
    };
  }

  private static String subVerb(Kind kind) {
    return switch (kind) {
      case CHANNEL -> "subscribe";
      case PATTERN -> "psubscribe";
      case SHARD -> "ssubscribe";
    };
  }

  private static String unVerb(Kind kind) {
    return switch (kind) {
      case CHANNEL -> "unsubscribe";
      case PATTERN -> "punsubscribe";
      case SHARD -> "sunsubscribe";
    };
  }

  /** Redis counts channels and patterns together; shard channels on their own. */
  private static int count(Session s, Kind kind) {
    return kind == Kind.SHARD ? s.shardChannels.size() : s.channels.size() + s.patterns.size();
  }

  private Reply subscribe(Session s, byte[][] a, Kind kind) {
    Map<Bytes, Subscription> mine = of(s, kind);
    List<Runnable> out = new ArrayList<>();
    ByteArrayOutputStream replies = new ByteArrayOutputStream();
    for (int i = 1; i < a.length; i++) {
      Bytes name = Bytes.wrap(a[i]);
      if (!mine.containsKey(name)) {
        Subscription sub = new Subscription(s, kind, name);
        mine.put(name, sub);
        out.add(() -> pubsub.register(sub));
      }
      push(replies, s, subVerb(kind), Reply.bulk(a[i]), count(s, kind));
    }
    later(s, out);
    return new Reply.Raw(replies.toByteArray());
  }

  private Reply unsubscribe(Session s, byte[][] a, Kind kind) {
    Map<Bytes, Subscription> mine = of(s, kind);
    List<Runnable> out = new ArrayList<>();
    ByteArrayOutputStream replies = new ByteArrayOutputStream();
    List<byte[]> names = new ArrayList<>();
    if (a.length == 1) {
      synchronized (mine) {
        for (Bytes b : mine.keySet()) {
          names.add(b.array());
        }
      }
      if (names.isEmpty()) {
        push(replies, s, unVerb(kind), Reply.NULL, count(s, kind));
      }
    } else {
      for (int i = 1; i < a.length; i++) {
        names.add(a[i]);
      }
    }
    for (byte[] name : names) {
      Subscription sub = mine.remove(Bytes.wrap(name));
      if (sub != null) {
        pubsub.withdraw(sub);
        out.add(() -> pubsub.unregister(sub));
      }
      push(replies, s, unVerb(kind), Reply.bulk(name), count(s, kind));
    }
    later(s, out);
    return new Reply.Raw(replies.toByteArray());
  }

  /** RESET and a closing connection: every subscription withdrawn, no confirmation. */
  void dropAll(Session s) {
    for (Kind kind : Kind.values()) {
      Map<Bytes, Subscription> mine = of(s, kind);
      List<Subscription> all;
      synchronized (mine) {
        all = new ArrayList<>(mine.values());
        mine.clear();
      }
      for (Subscription sub : all) {
        pubsub.unregister(sub);
      }
    }
  }

  private static void later(Session s, List<Runnable> actions) {
    if (!actions.isEmpty()) {
      s.onReplyOut = () -> actions.forEach(Runnable::run);
    }
  }

  private static void push(ByteArrayOutputStream out, Session s, String verb, Reply name, int count) {
    out.writeBytes(
        RespWriter.encode(new Reply.Push(List.of(Reply.bulk(verb), name, Reply.integer(count))), s.proto));
  }

  private Reply publish(byte[][] a) {
    return Reply.integer(pubsub.publish(a[1], a[2]) + elsewhere.apply(a[1], a[2]));
  }

  private Reply introspect(byte[][] a) {
    String sub = new String(a[1], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    switch (sub) {
      case "channels":
      case "shardchannels": {
        if (a.length > 3) {
          return Err.err(
              "unknown subcommand or wrong number of arguments for '" + new String(a[1], StandardCharsets.UTF_8)
                  + "'. Try PUBSUB HELP.");
        }
        Kind kind = sub.equals("channels") ? Kind.CHANNEL : Kind.SHARD;
        List<Reply> names = new ArrayList<>();
        for (byte[] n : pubsub.active(kind, a.length == 3 ? a[2] : null)) {
          names.add(Reply.bulk(n));
        }
        return Reply.array(names);
      }
      case "numsub":
      case "shardnumsub": {
        Kind kind = sub.equals("numsub") ? Kind.CHANNEL : Kind.SHARD;
        List<Reply> counts = new ArrayList<>();
        for (int i = 2; i < a.length; i++) {
          counts.add(Reply.bulk(a[i]));
          counts.add(Reply.integer(pubsub.subscribers(kind, a[i])));
        }
        return Reply.array(counts); // a flat array in RESP3 too, as Redis 7.0 answers
      }
      case "numpat":
        return Reply.integer(pubsub.patternCount());
      case "help":
        return help();
      default:
        return Err.err("unknown subcommand '" + new String(a[1], StandardCharsets.UTF_8) + "'. Try PUBSUB HELP.");
    }
  }

  private static Reply help() {
    return ServerCommands.helpReply(
        List.of(
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Prints this help."));
  }
}
