package io.keyshard.node.route;

import io.keyshard.protocol.Reply;

/**
 * Where a request goes, or why it does not run: every outcome of routing, decided by the router
 * (and, for a slot's incarnation that may no longer act, by its fence), and the one place each
 * refusal's text is written ({@link #text}). The texts are Redis Cluster's where Redis has one,
 * so cluster clients follow them (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, CROSSSLOT).
 *
 * <p>A new redirect or refusal is a record here with its text in {@link #text}, produced by
 * server/Router (or the slot fence) and nowhere else.
 */
public sealed interface Verdict {
  /** Runs on this node, in the slot (or at the connection). */
  record ServedHere() implements Verdict {}

  /** The slot is being handed to another node: the request waits for that, then is routed again. */
  record Parked(int slot) implements Verdict {}

  /** Another node owns the slot. {@code address} is "host:port". */
  record Moved(int slot, String address) implements Verdict {}

  /** The slot is migrating and the key is already at {@code address} (slot migration). */
  record Ask(int slot, String address) implements Verdict {}

  /** Nothing was done; the client may send it again. */
  record TryAgain(Retry why, String detail) implements Verdict {}

  /** Proxy mode: the owner at {@code address} ("host:port") did not answer; a TRYAGAIN. */
  record OwnerUnreachable(String address, String cause) implements Verdict {}

  /** The keys are in several slots and the command cannot span them. */
  record CrossSlot() implements Verdict {}

  /** The cluster cannot serve the request. */
  record ClusterDown(Down why) implements Verdict {}

  /** Proxy mode: run by the owner at {@code host:port}, for clients that do not follow MOVED. */
  record Proxied(String host, int port) implements Verdict {}

  /**
   * ASKING on the node importing the slot: run by the slot's owner at {@code host:port} (the
   * migration's source, the only writer of the slot until it changes owner), forwarded under
   * migration id {@code migration} (docs/decisions/2026-12-06-slot-migration-protocol.md).
   */
  record Forwarded(int slot, String host, int port, long migration) implements Verdict {}

  /**
   * READONLY on a replica: a read of its primary's slot, served from the warm copy, or answered
   * {@code otherwise} (the redirect) if the copy cannot serve it.
   */
  record ReplicaRead(String primaryId, int slot, Verdict otherwise) implements Verdict {}

  /** The journal refuses it (slot/JournalHealth): nothing was written. */
  record JournalRefused(Journal why) implements Verdict {}

  /** The node is still loading its data set. */
  record Loading() implements Verdict {}

  /** A script ({@code function}: a library's function) has run past busy-reply-threshold. */
  record Busy(boolean function) implements Verdict {}

  /** A RESP2 connection with a subscription sent a command it may not (Pub/Sub). */
  record SubscribedContext(String command) implements Verdict {}

  /** EVALSHA of a script this node does not know (scripts). */
  record NoScript() implements Verdict {}

  /** The TRYAGAIN texts: each says what did not happen. */
  enum Retry {
    /** A read's slot did not answer in time. */
    SLOT_TIMEOUT,
    /** A slot's incarnation of an older epoch ({@code detail}: the slot). */
    EPOCH_CHANGED,
    /** A slot of a transaction failed to answer ({@code detail}: the exception's class). */
    TX_SLOT_FAILED,
    /** A transaction failed before its commit point. */
    TX_INCOMPLETE,
    /** Keyspace-wide transactions hold the keyspace. */
    KEYSPACE_BUSY,
    /** A keyspace-wide command's slot did not answer ({@code detail}: the exception's class). */
    FAN_OUT_TIMEOUT,
    /** Slot migration: keys of a multi-key request are split between the two nodes. */
    MIGRATING
  }

  enum Down {
    /** This node is fenced: cut off from the majority, or back from a long pause. */
    FENCED,
    /** Nobody owns the slot. */
    SLOT_NOT_SERVED
  }

  enum Journal {
    NOT_APPLIED,
    RECOVERING
  }

  Verdict SERVED_HERE = new ServedHere();
  Verdict CROSS_SLOT = new CrossSlot();
  Verdict CLUSTER_DOWN = new ClusterDown(Down.FENCED);
  Verdict SLOT_NOT_SERVED = new ClusterDown(Down.SLOT_NOT_SERVED);
  Verdict JOURNAL_NOT_APPLIED = new JournalRefused(Journal.NOT_APPLIED);
  Verdict JOURNAL_RECOVERING = new JournalRefused(Journal.RECOVERING);

  static Verdict tryAgain(Retry why) {
    return new TryAgain(why, null);
  }

  static Verdict tryAgain(Retry why, String detail) {
    return new TryAgain(why, detail);
  }

  /** Whether the request is refused (or redirected) with an error reply. */
  default boolean refuses() {
    return !(this instanceof ServedHere
        || this instanceof Parked
        || this instanceof Proxied
        || this instanceof Forwarded
        || this instanceof ReplicaRead);
  }

  /** The error reply of a refusal. */
  default Reply reply() {
    return Reply.error(text());
  }

  /** The error text of a refusal (what follows the '-' on the wire). */
  default String text() {
    if (this instanceof Moved m) {
      return "MOVED " + m.slot() + " " + m.address();
    }
    if (this instanceof Ask a) {
      return "ASK " + a.slot() + " " + a.address();
    }
    if (this instanceof TryAgain t) {
      return "TRYAGAIN " + switch (t.why()) {
        case SLOT_TIMEOUT -> "slot did not answer in time; nothing was written";
        case EPOCH_CHANGED -> "slot " + t.detail() + " changed epoch, please retry";
        case TX_SLOT_FAILED -> t.detail();
        case TX_INCOMPLETE -> "transaction did not complete; nothing was changed";
        case KEYSPACE_BUSY -> "the keyspace is busy with keyspace-wide transactions";
        case FAN_OUT_TIMEOUT -> "a slot did not answer in time: " + t.detail();
        case MIGRATING -> "Multiple keys request during rehashing of slot";
      };
    }
    if (this instanceof OwnerUnreachable o) {
      return "TRYAGAIN the owner of this slot (" + o.address() + ") did not answer: " + o.cause();
    }
    if (this instanceof CrossSlot) {
      return "CROSSSLOT Keys in request don't hash to the same slot";
    }
    if (this instanceof ClusterDown d) {
      return switch (d.why()) {
        case FENCED -> "CLUSTERDOWN The cluster is down";
        case SLOT_NOT_SERVED -> "CLUSTERDOWN Hash slot not served";
      };
    }
    if (this instanceof JournalRefused j) {
      return switch (j.why()) {
        case NOT_APPLIED -> "TRYAGAIN journal unavailable, the write was not applied";
        case RECOVERING -> "TRYAGAIN slot is recovering from the journal, the command was not run";
      };
    }
    if (this instanceof Loading) {
      return "LOADING Redis is loading the dataset in memory";
    }
    if (this instanceof Busy b) {
      return "BUSY Redis is busy running a script. You can only call " + (b.function() ? "FUNCTION" : "SCRIPT")
          + " KILL or SHUTDOWN NOSAVE.";
    }
    if (this instanceof SubscribedContext c) {
      return "ERR Can't execute '" + c.command()
          + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
    }
    if (this instanceof NoScript) {
      return "NOSCRIPT No matching script. Please use EVAL.";
    }
    throw new IllegalStateException("not a refusal: " + this);
  }
}
