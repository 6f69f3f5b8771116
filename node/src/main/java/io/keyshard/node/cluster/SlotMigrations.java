package io.keyshard.node.cluster;

import io.keyshard.node.CborSerializable;
import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.persistence.SlotTableState;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * The jobs of CLUSTER MIGRATESLOTS (Valkey 9's atomic slot migration), as the slot table holds
 * them: which slots go from which owner to which node, how far each job is, and the pause each
 * moved slot's requests saw. Bookkeeping only; {@link SlotTable} runs the batches
 * (docs/decisions/2026-12-06-atomic-slot-migration.md). Kept in memory, as Valkey does: a
 * failover of the table ends the jobs (every slot still has exactly one owner, since a batch
 * switches in one table event).
 */
public final class SlotMigrations {
  /** Finished jobs kept for CLUSTER GETSLOTMIGRATIONS (Valkey's cluster-slot-migration-log-max-len). */
  static final int LOG_MAX = 32;

  /** Valkey's job states, those that mean something here. */
  enum State {
    /** Queued behind another job's batch. */
    WAITING("waiting-to-snapshot"),
    /** The target reads the next batch's slots from the journal while the source serves. */
    SNAPSHOTTING("snapshotting"),
    /** The source parks the batch's requests, hands off; the table switches the owner. */
    PAUSED("failover-paused"),
    SUCCESS("success"),
    CANCELLED("cancelled"),
    FAILED("failed");

    final String text;

    State(String text) {
      this.text = text;
    }

    boolean finished() {
      return this == SUCCESS || this == CANCELLED || this == FAILED;
    }
  }

  /** One SLOTSRANGE ... NODE block: inclusive start, end pairs and the target's id. */
  public record Spec(List<Integer> ranges, String target) implements CborSerializable {}

  /** A job as CLUSTER GETSLOTMIGRATIONS shows it. */
  public record View(
      String name,
      String slotRanges,
      String source,
      String target,
      long createTime,
      long lastUpdateTime,
      long lastAckTime,
      String state,
      String message,
      int slots,
      int slotsMoved,
      long pauseMedianMs,
      long pauseMaxMs)
      implements CborSerializable {}

  static final class Job {
    final String name;
    final String source;
    final String target;
    final List<Integer> ranges;
    final ArrayDeque<Integer> pending = new ArrayDeque<>();
    /** The batch being warmed or moved. */
    final List<Integer> inFlight = new ArrayList<>();
    /** Pause reports asked of the source and not answered yet. */
    int reportsPending;
    final int total;
    final List<Long> pausesMs = new ArrayList<>();
    final long created;
    int moved;
    /** Cancelled while a batch was switching: the job ends, counted, once that batch has. */
    boolean cancelRequested;
    State state = State.WAITING;
    long lastUpdate;
    long lastAck;
    String message = "";
    /** How the target's read ahead of the current batch went, for the log. */
    String warmNote = "";

    Job(String name, String source, String target, List<Integer> ranges, long now) {
      this.name = name;
      this.source = source;
      this.target = target;
      this.ranges = List.copyOf(ranges);
      for (int i = 0; i + 1 < ranges.size(); i += 2) {
        for (int s = ranges.get(i); s <= ranges.get(i + 1); s++) {
          pending.add(s);
        }
      }
      this.total = pending.size();
      this.created = now;
      this.lastUpdate = now;
      this.lastAck = now;
    }

    void set(State next, String why, long now) {
      state = next;
      lastUpdate = now;
      if (why != null) {
        message = why;
      }
    }

    long pauseMedian() {
      if (pausesMs.isEmpty()) {
        return 0;
      }
      List<Long> sorted = new ArrayList<>(pausesMs);
      Collections.sort(sorted);
      return sorted.get((sorted.size() - 1) / 2); // the lower middle of an even count
    }

    long pauseMax() {
      return pausesMs.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    View view() {
      StringBuilder r = new StringBuilder();
      for (int i = 0; i + 1 < ranges.size(); i += 2) {
        if (r.length() > 0) {
          r.append(' ');
        }
        r.append(ranges.get(i)).append('-').append(ranges.get(i + 1));
      }
      return new View(name, r.toString(), source, target, created, lastUpdate, lastAck, state.text,
          message, total, moved, pauseMedian(), pauseMax());
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  /** Newest first, as Valkey lists them. */
  private final List<Job> jobs = new ArrayList<>();

  /**
   * Valkey's checks of a MIGRATESLOTS against the table (the syntax is checked where the command
   * is parsed): every slot has an owner, each block's slots one owner, none already migrating,
   * blocks disjoint, the target a known primary other than the owner. Null when they pass.
   */
  String refusal(SlotTableState state, List<Spec> specs) {
    BitSet migrating = new BitSet();
    for (Job j : jobs) {
      if (!j.state.finished()) {
        j.pending.forEach(migrating::set);
        j.inFlight.forEach(migrating::set);
      }
    }
    BitSet earlier = new BitSet();
    for (Spec spec : specs) {
      String owner = null;
      BitSet mine = new BitSet();
      List<Integer> r = spec.ranges();
      for (int i = 0; i + 1 < r.size(); i += 2) {
        for (int s = r.get(i); s <= r.get(i + 1); s++) {
          String o = state.owner(s);
          if (o == null) {
            return "Slot " + s + " has no node served.";
          }
          SlotTableEvent.OpenSlot open = state.open(s);
          if (open.migrating() || open.importing()) {
            // A per-key migration (SETSLOT MIGRATING/IMPORTING) owns the slot until it ends.
            return "Slot " + s + " is being migrated with CLUSTER SETSLOT; end that first (SETSLOT " + s + " STABLE or NODE)";
          }
          if (owner == null) {
            owner = o;
          } else if (!owner.equals(o)) {
            return "Requested slots span multiple shards";
          }
          mine.set(s);
        }
      }
      int busy = mine.stream().filter(migrating::get).findFirst().orElse(-1);
      if (busy >= 0) {
        return "I am already migrating slot " + busy + ".";
      }
      if (mine.intersects(earlier)) {
        return "Slot ranges in migrations overlap";
      }
      earlier.or(mine);
      SlotTableEvent.NodeSeen target = state.nodes().get(spec.target());
      if (target == null) {
        return "Unknown node name: " + spec.target();
      }
      if (spec.target().equals(owner)) {
        return "Target node can not be this node.";
      }
      if (state.primaryOf(spec.target()) != null) {
        return "Target node " + spec.target() + " is a replica; slots migrate to primaries only.";
      }
    }
    return null;
  }

  /** Starts a job per block (after {@link #refusal} said none); answers them, oldest first. */
  List<Job> start(SlotTableState state, List<Spec> specs, long now) {
    List<Job> started = new ArrayList<>();
    for (Spec spec : specs) {
      byte[] id = new byte[20];
      RANDOM.nextBytes(id);
      Job job = new Job(HexFormat.of().formatHex(id), state.owner(spec.ranges().get(0)), spec.target(),
          spec.ranges(), now);
      jobs.add(0, job);
      started.add(job);
    }
    trim();
    return started;
  }

  /** The oldest job with slots still to move, or null. */
  Job next() {
    for (int i = jobs.size() - 1; i >= 0; i--) {
      Job j = jobs.get(i);
      if (!j.state.finished() && !j.pending.isEmpty()) {
        return j;
      }
    }
    return null;
  }

  Job byName(String name) {
    for (Job j : jobs) {
      if (j.name.equals(name)) {
        return j;
      }
    }
    return null;
  }

  /** Takes the job's next slots, at most {@code max}. */
  static List<Integer> takeBatch(Job job, int max) {
    List<Integer> out = new ArrayList<>();
    while (out.size() < max && !job.pending.isEmpty()) {
      out.add(job.pending.poll());
    }
    return out;
  }

  boolean anyRunning() {
    return jobs.stream().anyMatch(j -> !j.state.finished());
  }

  /** Cancels every running job; answers them. */
  List<Job> cancelAll(long now) {
    List<Job> out = new ArrayList<>();
    for (Job j : jobs) {
      if (!j.state.finished()) {
        j.pending.clear();
        if (j.state == State.PAUSED) {
          // The batch being switched cannot be called back: the job shows as finished, with
          // its count, when that batch has switched (SlotTable.onBatchSwitched).
          j.cancelRequested = true;
        } else {
          j.set(State.CANCELLED, cancelledText(j), now);
        }
        out.add(j);
      }
    }
    trim();
    return out;
  }

  static String cancelledText(Job j) {
    return "Cancelled by CLUSTER CANCELSLOTMIGRATIONS after " + j.moved + " of " + j.total + " slots moved";
  }

  List<View> views() {
    return jobs.stream().map(Job::view).toList();
  }

  private void trim() {
    int finished = 0;
    for (int i = 0; i < jobs.size(); i++) {
      if (jobs.get(i).state.finished() && ++finished > LOG_MAX) {
        jobs.remove(i--);
      }
    }
  }

  void finished() {
    trim();
  }
}
