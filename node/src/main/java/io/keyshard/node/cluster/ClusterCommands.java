package io.keyshard.node.cluster;

import io.keyshard.node.server.Session;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * CLUSTER in cluster mode, answered from this node's copy of the slot table with Redis 7.0's
 * reply formats: MYID, INFO, NODES, SLOTS, SHARDS, KEYSLOT. (HELP and the subcommands that
 * change the table come with the manual mode and migration.)
 */
public final class ClusterCommands {
  private final ClusterView view;
  private final ActorSystem<?> system;

  public ClusterCommands(ClusterView view, ActorSystem<?> system) {
    this.view = view;
    this.system = system;
  }

  public Reply run(Session s, byte[][] argv) {
    String sub = new String(argv[1], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    ClusterView.Table t = view.table();
    return switch (sub) {
      case "myid" -> Reply.bulk(view.myId());
      case "info" -> new Reply.Verbatim("txt", info(t).getBytes(StandardCharsets.UTF_8));
      case "nodes" -> new Reply.Verbatim("txt", nodes(t).getBytes(StandardCharsets.UTF_8));
      case "slots" -> slots(t);
      case "shards" -> shards(t);
      case "keyslot" -> Reply.integer(Slots.slot(argv[2]));
      default -> Err.err(
          "Unknown subcommand or wrong number of arguments for '"
              + new String(argv[1], StandardCharsets.UTF_8)
              + "'. Try CLUSTER HELP.");
    };
  }

  /** Member addresses (host:bus port) that are up and reachable from here. */
  private Set<String> reachable() {
    Cluster c = Cluster.get(system);
    Set<String> out = new java.util.HashSet<>();
    Set<Member> unreachable = new java.util.HashSet<>();
    c.state().getUnreachable().forEach(unreachable::add);
    for (Member m : c.state().getMembers()) {
      if (m.status() == MemberStatus.up() && !unreachable.contains(m)) {
        out.add(m.address().host().get() + ":" + m.address().port().get());
      }
    }
    return out;
  }

  private boolean up(ClusterView.Node n, Set<String> reachable) {
    return n.id().equals(view.myId()) || reachable.contains(n.host() + ":" + n.busPort());
  }

  String info(ClusterView.Table t) {
    int assigned = t.assignedSlots();
    Set<String> reachable = reachable();
    int ok = 0;
    int fail = 0;
    for (int s = 0; s < 16384; s++) {
      ClusterView.Node o = t.owner(s);
      if (o != null) {
        if (up(o, reachable)) {
          ok++;
        } else {
          fail++;
        }
      }
    }
    long size = t.nodes().stream().filter(n -> !t.ranges(n.id()).isEmpty()).count();
    long myEpoch =
        t.nodes().stream().filter(n -> n.id().equals(view.myId())).mapToLong(ClusterView.Node::configEpoch).findFirst().orElse(0);
    String state = assigned == 16384 && fail == 0 ? "ok" : "fail";
    return "cluster_state:" + state + "\r\n"
        + "cluster_slots_assigned:" + assigned + "\r\n"
        + "cluster_slots_ok:" + ok + "\r\n"
        + "cluster_slots_pfail:0\r\n"
        + "cluster_slots_fail:" + fail + "\r\n"
        + "cluster_known_nodes:" + Math.max(1, t.nodes().size()) + "\r\n"
        + "cluster_size:" + size + "\r\n"
        + "cluster_current_epoch:" + t.epoch() + "\r\n"
        + "cluster_my_epoch:" + myEpoch + "\r\n"
        + "cluster_stats_messages_sent:0\r\n"
        + "cluster_stats_messages_received:0\r\n"
        + "total_cluster_links_buffer_limit_exceeded:0\r\n";
  }

  String nodes(ClusterView.Table t) {
    Set<String> reachable = reachable();
    StringBuilder sb = new StringBuilder();
    long now = System.currentTimeMillis();
    for (ClusterView.Node n : t.nodes()) {
      boolean me = n.id().equals(view.myId());
      boolean up = up(n, reachable);
      sb.append(n.id()).append(' ')
          .append(n.host()).append(':').append(n.port()).append('@').append(n.busPort()).append(' ')
          .append(me ? "myself,master" : up ? "master" : "master,fail").append(" - 0 ")
          .append(me ? 0 : now).append(' ')
          .append(n.configEpoch()).append(' ')
          .append(up ? "connected" : "disconnected");
      for (int[] r : t.ranges(n.id())) {
        sb.append(' ').append(r[0] == r[1] ? Integer.toString(r[0]) : r[0] + "-" + r[1]);
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static Reply nodeEntry(ClusterView.Node n) {
    return Reply.array(
        List.of(Reply.bulk(n.host()), Reply.integer(n.port()), Reply.bulk(n.id()), Reply.array(List.of())));
  }

  Reply slots(ClusterView.Table t) {
    List<Reply> out = new ArrayList<>();
    List<int[]> all = new ArrayList<>();
    for (ClusterView.Node n : t.nodes()) {
      for (int[] r : t.ranges(n.id())) {
        all.add(new int[] {r[0], r[1], t.nodes().indexOf(n)});
      }
    }
    all.sort((a, b) -> Integer.compare(a[0], b[0]));
    for (int[] r : all) {
      out.add(
          Reply.array(List.of(Reply.integer(r[0]), Reply.integer(r[1]), nodeEntry(t.nodes().get(r[2])))));
    }
    return Reply.array(out);
  }

  Reply shards(ClusterView.Table t) {
    Set<String> reachable = reachable();
    List<Reply> out = new ArrayList<>();
    for (ClusterView.Node n : t.nodes()) {
      List<Reply> slots = new ArrayList<>();
      for (int[] r : t.ranges(n.id())) {
        slots.add(Reply.integer(r[0]));
        slots.add(Reply.integer(r[1]));
      }
      Reply node =
          new Reply.Map(
              List.of(
                  Reply.bulk("id"), Reply.bulk(n.id()),
                  Reply.bulk("port"), Reply.integer(n.port()),
                  Reply.bulk("ip"), Reply.bulk(n.host()),
                  Reply.bulk("endpoint"), Reply.bulk(n.host()),
                  Reply.bulk("role"), Reply.bulk("master"),
                  Reply.bulk("replication-offset"), Reply.integer(0),
                  Reply.bulk("health"), Reply.bulk(up(n, reachable) ? "online" : "failed")));
      out.add(
          new Reply.Map(
              List.of(
                  Reply.bulk("slots"), Reply.array(slots),
                  Reply.bulk("nodes"), Reply.array(List.of(node)))));
    }
    return Reply.array(out);
  }
}
