package io.keyshard.node.cluster;

import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Valkey 9's atomic slot migration commands: CLUSTER MIGRATESLOTS, GETSLOTMIGRATIONS and
 * CANCELSLOTMIGRATIONS. The syntax is checked here with Valkey's error texts; the rest (owners,
 * targets, jobs) by the slot table, which runs the jobs. Unlike Valkey, where they go to the
 * slots' owner, any node takes them: the table is the cluster's.
 */
final class SlotMigrationCommands {
  private final ActorRef<SlotTable.Command> table;
  private final ActorSystem<?> system;

  SlotMigrationCommands(ActorRef<SlotTable.Command> table, ActorSystem<?> system) {
    this.table = table;
    this.system = system;
  }

  Reply migrateSlots(byte[][] argv) {
    List<SlotMigrations.Spec> specs = parse(argv);
    SlotTable.Welcome answer = ask(r -> new SlotTable.MigrateSlots(specs, r));
    return answer.refusal() == null ? Reply.OK : Err.err(answer.refusal());
  }

  Reply cancel() {
    SlotTable.Welcome answer = ask(SlotTable.CancelMigrations::new);
    return answer.refusal() == null ? Reply.OK : Err.err(answer.refusal());
  }

  /**
   * One map per job, newest first, with Valkey's fields (operation is EXPORT: the table runs
   * the job, so there is one entry per job rather than one per end), and Keyshard's: the slots,
   * how many moved, and the pause their requests saw (median and max, ms).
   */
  Reply list() {
    SlotTable.Migrations jobs;
    try {
      jobs =
          AskPattern.<SlotTable.Command, SlotTable.Migrations>ask(
                  table, SlotTable.GetMigrations::new, Duration.ofSeconds(10), system.scheduler())
              .toCompletableFuture()
              .get(11, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new RedisException(Err.err("the slot table did not answer: " + e.getMessage()));
    }
    List<Reply> out = new ArrayList<>();
    for (SlotMigrations.View v : jobs.jobs()) {
      List<Reply> kv = new ArrayList<>();
      field(kv, "name", Reply.bulk(v.name()));
      field(kv, "operation", Reply.bulk("EXPORT"));
      field(kv, "slot_ranges", Reply.bulk(v.slotRanges()));
      field(kv, "source_node", Reply.bulk(v.source()));
      field(kv, "target_node", Reply.bulk(v.target()));
      field(kv, "create_time", Reply.integer(v.createTime()));
      field(kv, "last_update_time", Reply.integer(v.lastUpdateTime()));
      field(kv, "last_ack_time", Reply.integer(v.lastAckTime()));
      field(kv, "state", Reply.bulk(v.state()));
      field(kv, "message", Reply.bulk(v.message()));
      field(kv, "slots", Reply.integer(v.slots()));
      field(kv, "slots_moved", Reply.integer(v.slotsMoved()));
      field(kv, "pause_median_ms", Reply.integer(v.pauseMedianMs()));
      field(kv, "pause_max_ms", Reply.integer(v.pauseMaxMs()));
      out.add(new Reply.Map(kv));
    }
    return Reply.array(out);
  }

  private static void field(List<Reply> kv, String name, Reply value) {
    kv.add(Reply.bulk(name));
    kv.add(value);
  }

  private SlotTable.Welcome ask(Function<ActorRef<SlotTable.Welcome>, SlotTable.Command> message) {
    try {
      return AskPattern.<SlotTable.Command, SlotTable.Welcome>ask(
              table, message::apply, Duration.ofSeconds(10), system.scheduler())
          .toCompletableFuture()
          .get(11, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new RedisException(Err.err("the slot table did not answer: " + e.getMessage()));
    }
  }

  /**
   * {@code SLOTSRANGE start end [start end ...] NODE id}, repeated: Valkey's parse, in its
   * order, with its errors. A node id must be 40 characters.
   */
  static List<SlotMigrations.Spec> parse(byte[][] argv) {
    List<SlotMigrations.Spec> specs = new ArrayList<>();
    int i = 2;
    while (i < argv.length) {
      if (!text(argv[i]).equalsIgnoreCase("slotsrange")) {
        throw new RedisException(Err.SYNTAX);
      }
      i++;
      List<Integer> ranges = new ArrayList<>();
      while (i < argv.length && isInteger(argv[i])) {
        int start = slot(argv[i]);
        if (i + 1 >= argv.length) {
          throw new RedisException(Err.err("No end slot for final slot range"));
        }
        int end = slot(argv[i + 1]);
        if (start > end) {
          throw new RedisException(
              Err.err("Start slot number " + start + " is greater than end slot number " + end + "."));
        }
        for (int k = 0; k + 1 < ranges.size(); k += 2) {
          if (end >= ranges.get(k) && start <= ranges.get(k + 1)) {
            throw new RedisException(
                Err.err("Slot range " + start + "-" + end + " overlaps with previous range "
                    + ranges.get(k) + "-" + ranges.get(k + 1) + "."));
          }
        }
        ranges.add(start);
        ranges.add(end);
        i += 2;
      }
      if (ranges.isEmpty()) {
        throw new RedisException(Err.err("No slot ranges specified"));
      }
      if (i + 1 >= argv.length || !text(argv[i]).equalsIgnoreCase("node")) {
        throw new RedisException(Err.SYNTAX);
      }
      i++;
      String node = text(argv[i]);
      if (node.length() != 40) {
        throw new RedisException(Err.err("Invalid node name: " + node));
      }
      i++;
      specs.add(new SlotMigrations.Spec(List.copyOf(ranges), node));
    }
    if (specs.isEmpty()) {
      throw new RedisException(Err.SYNTAX);
    }
    return specs;
  }

  private static String text(byte[] arg) {
    return new String(arg, StandardCharsets.UTF_8);
  }

  private static boolean isInteger(byte[] arg) {
    try {
      Long.parseLong(text(arg));
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static int slot(byte[] arg) {
    long v = Long.parseLong(text(arg));
    if (v < 0 || v >= 16384) {
      throw new RedisException(Err.err("Invalid or out of range slot"));
    }
    return (int) v;
  }
}
