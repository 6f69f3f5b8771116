package io.keyshard.node.slot;

/**
 * The sharding entity id of a slot's incarnation. Standalone: the slot number. Cluster mode:
 * {@code <slot>@<owner node id>@<slot epoch>}: a slot that leaves a node and comes back does so
 * under a newer epoch, so it starts a new entity (recovered from the journal) and never reaches
 * one left from before. A negative epoch names a rehearsal slot (cluster/Rehearsal), which no
 * table ever gives. {@code owner} is null standalone.
 */
public record SlotEntityId(int slot, String owner, long epoch) {
  public static SlotEntityId standalone(int slot) {
    return new SlotEntityId(slot, null, 0);
  }

  /** Reads an id written by {@link #toString}. */
  public static SlotEntityId parse(String id) {
    int first = id.indexOf('@');
    if (first < 0) {
      return standalone(Integer.parseInt(id));
    }
    int last = id.lastIndexOf('@');
    int slot = Integer.parseInt(id.substring(0, first));
    if (last == first) {
      return new SlotEntityId(slot, id.substring(first + 1), 0);
    }
    return new SlotEntityId(slot, id.substring(first + 1, last), Long.parseLong(id.substring(last + 1)));
  }

  @Override
  public String toString() {
    return owner == null ? Integer.toString(slot) : slot + "@" + owner + "@" + epoch;
  }
}
