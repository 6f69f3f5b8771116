package io.keyshard.node.commands;

import io.keyshard.node.server.SessionCommand;
import io.keyshard.node.slot.SlotCommand;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.CommandTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every command's one handler and the kind of handler it is, by lowercase command name. Each
 * family file registers its own commands ({@link #keyedCommands} for the bodies that run in
 * slots, the session families at boot); {@link Builder#build} checks the result against the
 * command table, so a node does not start with a declared command nobody serves or a handler
 * the table does not declare.
 */
public final class CommandRegistry {
  /** Where a command runs. */
  public enum Kind {
    /** A body run in the slot of its keys (keyless forms: in any slot). */
    SLOT,
    /** A slot body run once; if it found nothing, the client waits for data (server/Blocking). */
    BLOCKING,
    /** At the connection: connection state, introspection, administration. */
    SESSION,
    /** At the connection, over every slot; inside EXEC over every slot the transaction locks. */
    KEYSPACE_WIDE,
    /** MULTI, EXEC, DISCARD, WATCH, UNWATCH: at the connection, on its transaction. */
    TRANSACTION_CONTROL,
    /** A slot body for the node's own use (cross-slot programs, keyspace-wide fan-out): not in the table. */
    INTERNAL,
    /**
     * Declared in the table (so COMMAND lists it) but not served: routed as a slot command, whose
     * slot answers "unknown command", as before this registry existed.
     */
    UNIMPLEMENTED;

    /** Runs at the connection rather than in a slot. */
    public boolean atConnection() {
      return this == SESSION || this == KEYSPACE_WIDE || this == TRANSACTION_CONTROL;
    }
  }

  /** What the router needs to know about a command beyond its kind. */
  public enum Trait {
    /** Inside MULTI it acts at once instead of being queued (Redis's processCommand). */
    ACTS_ON_MULTI,
    /** Inside MULTI Redis still takes it when over maxmemory. */
    TAKEN_IN_MULTI_WHEN_OOM,
    /** A session command that answers before dispatch returns and touches no slot. */
    ANSWERS_IN_ORDER
  }

  /**
   * One command's binding. {@code body} for slot kinds, {@code session} for connection kinds;
   * {@code crossSlot}, for keyed kinds, runs it when its keys are in several slots (null:
   * CROSSSLOT).
   */
  public record Binding(
      String name,
      Kind kind,
      SlotCommand body,
      SessionCommand session,
      CrossSlotProgram crossSlot,
      Set<Trait> traits) {
    public boolean has(Trait trait) {
      return traits.contains(trait);
    }
  }

  private final Map<String, Binding> bindings;

  private CommandRegistry(Map<String, Binding> bindings) {
    this.bindings = Map.copyOf(bindings);
  }

  /** The binding of a command the table declares (or an internal one); null if unknown. */
  public Binding get(String name) {
    return bindings.get(name);
  }

  public Map<String, Binding> all() {
    return bindings;
  }

  /** Every slot body by name, what a slot entity runs. */
  public Map<String, SlotCommand> slotBodies() {
    return slotBodies(bindings);
  }

  private static Map<String, SlotCommand> slotBodies(Map<String, Binding> bindings) {
    Map<String, SlotCommand> bodies = new HashMap<>();
    bindings.forEach(
        (name, b) -> {
          if (b.body() != null) {
            bodies.put(name, b.body());
          }
        });
    return Map.copyOf(bodies);
  }

  /** A builder holding every keyed family: the slot bodies, blocking and cross-slot commands. */
  public static Builder keyedCommands() {
    Builder r = new Builder();
    StringCommands.register(r);
    KeyCommands.register(r);
    HashCommands.register(r);
    ListCommands.register(r);
    SetCommands.register(r);
    ZSetCommands.register(r);
    StreamCommands.register(r);
    DumpCommands.register(r);
    TransferCommands.register(r);
    DigestCommands.register(r);
    SaveCopies.register(r);
    CrossSlot.register(r);
    ListCrossSlot.register(r);
    SetCrossSlot.register(r);
    ZSetCrossSlot.register(r);
    StreamCrossSlot.register(r);
    SortCommand.registerBodies(r);
    // Declared so that COMMAND matches Redis 7.0, served by no handler (yet).
    for (String name : UNIMPLEMENTED) {
      r.unimplemented(name);
    }
    return r;
  }

  /** Table commands deliberately without a handler. */
  private static final List<String> UNIMPLEMENTED = List.of();

  public static final class Builder {
    private final Map<String, Binding> bindings = new HashMap<>();
    private final Map<String, CrossSlotProgram> crossSlot = new HashMap<>();

    Builder() {}

    public Builder slot(String name, SlotCommand body) {
      return bind(name, Kind.SLOT, body, null);
    }

    public Builder blocking(String name, SlotCommand body) {
      return bind(name, Kind.BLOCKING, body, null);
    }

    public Builder internal(String name, SlotCommand body) {
      return bind(name, Kind.INTERNAL, body, null);
    }

    public Builder unimplemented(String name) {
      return bind(name, Kind.UNIMPLEMENTED, null, null);
    }

    public Builder session(String name, SessionCommand handler, Trait... traits) {
      return bind(name, Kind.SESSION, null, handler, traits);
    }

    public Builder keyspaceWide(String name, SessionCommand handler) {
      return bind(name, Kind.KEYSPACE_WIDE, null, handler);
    }

    public Builder transactionControl(String name, SessionCommand handler, Trait... traits) {
      return bind(name, Kind.TRANSACTION_CONTROL, null, handler, traits);
    }

    /** Lets a keyed command (bound by its own family) run with keys in several slots. */
    public Builder crossSlot(String name, CrossSlotProgram program) {
      if (crossSlot.putIfAbsent(name, program) != null) {
        throw new IllegalStateException("cross-slot program bound twice: " + name);
      }
      return this;
    }

    private Builder bind(
        String name, Kind kind, SlotCommand body, SessionCommand session, Trait... traits) {
      Set<Trait> set = traits.length == 0 ? Set.of() : Collections.unmodifiableSet(EnumSet.of(traits[0], traits));
      Binding previous = bindings.putIfAbsent(name, new Binding(name, kind, body, session, null, set));
      if (previous != null) {
        throw new IllegalStateException(
            "command bound twice: " + name + " (" + previous.kind() + ", then " + kind + ")");
      }
      return this;
    }

    /** The slot bodies bound so far (the keyed families are bound before any session family). */
    public Map<String, SlotCommand> slotBodies() {
      return CommandRegistry.slotBodies(bindings);
    }

    /**
     * The registry, checked against the table: every top-level command bound exactly once, and
     * nothing bound that the table does not declare except the internal bodies.
     */
    public CommandRegistry build(CommandTable table) {
      Map<String, Binding> out = new HashMap<>(bindings);
      List<String> problems = new ArrayList<>();
      crossSlot.forEach(
          (name, program) -> {
            Binding b = out.get(name);
            if (b == null || (b.kind() != Kind.SLOT && b.kind() != Kind.BLOCKING)) {
              problems.add(name + ": a cross-slot program needs a slot body");
            } else {
              out.put(name, new Binding(name, b.kind(), b.body(), null, program, b.traits()));
            }
          });
      Set<String> declared = new TreeSet<>();
      for (CommandSpec spec : table.all()) {
        declared.add(spec.name());
        if (!out.containsKey(spec.name())) {
          problems.add(spec.name() + ": declared in the table, bound to no handler");
        }
      }
      out.forEach(
          (name, b) -> {
            if (b.kind() == Kind.INTERNAL ? declared.contains(name) : !declared.contains(name)) {
              problems.add(name + ": " + b.kind() + " binding " + (b.kind() == Kind.INTERNAL ? "shadows a table command" : "the table does not declare"));
            }
          });
      if (!problems.isEmpty()) {
        throw new IllegalStateException("command registry does not match the table: " + new TreeSet<>(problems));
      }
      return new CommandRegistry(out);
    }
  }
}
