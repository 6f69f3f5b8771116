package io.keyshard.node.pubsub;

import io.keyshard.node.CborSerializable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Carries PUBLISH to the cluster's other members (docs/decisions/2026-12-07-pubsub.md). One per
 * node, found by the others through the receptionist. A message crosses as parts of at most
 * {@link #PART} bytes (Artery's frame is 256 KiB), all on the ordinary lane from this relay to
 * that one, so the messages one node publishes reach each other node in the order they were
 * published there. Each node delivers to its own subscribers.
 */
public final class PubSubRelay {
  private PubSubRelay() {}

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "keyshard-pubsub");

  /** Bytes of a message per part: well under Artery's 256 KiB frame, with room for the channel. */
  static final int PART = 128 * 1024;

  public interface Command {}

  /** PUBLISH on this node: to every other member. */
  public record Publish(byte[] channel, byte[] message) implements Command {}

  /** One part of a message from another member. */
  public record Part(String origin, long id, int index, int count, byte[] channel, byte[] data)
      implements Command, CborSerializable {}

  private record Members(Receptionist.Listing listing) implements Command {}

  public static Behavior<Command> create(PubSub local) {
    return Behaviors.setup(
        ctx -> {
          ActorRef<Receptionist.Listing> adapter = ctx.messageAdapter(Receptionist.Listing.class, Members::new);
          ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
          ctx.getSystem().receptionist().tell(Receptionist.subscribe(KEY, adapter));
          String origin = ctx.getSelf().path().toSerializationFormatWithAddress(ctx.getSystem().address());
          return running(local, ctx.getSelf(), origin, Set.of(), new HashMap<>(), new long[] {0});
        });
  }

  private static Behavior<Command> running(
      PubSub local,
      ActorRef<Command> self,
      String origin,
      Set<ActorRef<Command>> others,
      Map<String, Assembly> assembling,
      long[] nextId) {
    return Behaviors.receive(Command.class)
        .onMessage(
            Members.class,
            m -> {
              Set<ActorRef<Command>> now = new HashSet<>(m.listing().getServiceInstances(KEY));
              now.remove(self);
              // Parts of a member that left will never be completed.
              assembling.keySet().removeIf(k -> now.stream().noneMatch(r -> k.startsWith(r.path().toSerializationFormat())));
              return running(local, self, origin, Set.copyOf(now), assembling, nextId);
            })
        .onMessage(
            Publish.class,
            p -> {
              if (!others.isEmpty()) {
                long id = nextId[0]++;
                int count = Math.max(1, (p.message().length + PART - 1) / PART);
                for (int i = 0; i < count; i++) {
                  int from = i * PART;
                  byte[] data = java.util.Arrays.copyOfRange(p.message(), from, Math.min(p.message().length, from + PART));
                  Part part = new Part(origin, id, i, count, p.channel(), data);
                  for (ActorRef<Command> other : others) {
                    other.tell(part);
                  }
                }
              }
              return Behaviors.same();
            })
        .onMessage(
            Part.class,
            part -> {
              if (part.count() == 1) {
                local.publish(part.channel(), part.data());
                return Behaviors.same();
              }
              String key = part.origin() + "#" + part.id();
              Assembly a = assembling.computeIfAbsent(key, k -> new Assembly(part.count()));
              a.add(part.index(), part.data());
              if (a.complete()) {
                assembling.remove(key);
                local.publish(part.channel(), a.bytes());
              }
              return Behaviors.same();
            })
        .build();
  }

  /** The parts of one message as they arrive (in order from one sender, but kept by index). */
  private static final class Assembly {
    private final byte[][] parts;
    private int have;

    Assembly(int count) {
      parts = new byte[count][];
    }

    void add(int index, byte[] data) {
      if (index >= 0 && index < parts.length && parts[index] == null) {
        parts[index] = data;
        have++;
      }
    }

    boolean complete() {
      return have == parts.length;
    }

    byte[] bytes() {
      int n = 0;
      for (byte[] p : parts) {
        n += p.length;
      }
      byte[] all = new byte[n];
      int at = 0;
      for (byte[] p : parts) {
        System.arraycopy(p, 0, all, at, p.length);
        at += p.length;
      }
      return all;
    }
  }
}
