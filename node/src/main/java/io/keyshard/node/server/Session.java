package io.keyshard.node.server;

import io.keyshard.node.slot.Waiter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.stream.KillSwitch;

/**
 * The state of one client connection: selected database, protocol version, authentication,
 * name. Touched only by the connection's stream, one request at a time and in order, except for
 * the read-only fields CLIENT LIST shows to other connections.
 */
public final class Session {
  public final long id;
  public final String addr;
  public final String laddr;
  public final long createdAt = System.currentTimeMillis();

  public volatile int db;
  public volatile int proto = 2;
  public volatile boolean authenticated;
  public volatile String user = "default";
  public volatile String name = "";
  public volatile String libName = "";
  public volatile String libVer = "";
  public volatile long lastCommandAt = createdAt;
  /**
   * A script's error reply that only passes on an error its redis.call or redis.pcall already
   * counted in errorstats (as Redis, it is not counted again); compared by identity.
   */
  public volatile io.keyshard.protocol.Reply countedError;

  /** Counts {@code r} in errorstats unless this connection's script already counted it. */
  public void countError(CommandStats stats, io.keyshard.protocol.Reply r) {
    if (!r.isError()) {
      return;
    }
    if (countedError == r) {
      countedError = null;
      return;
    }
    stats.error(r);
  }
  public volatile String lastCommand = "NULL";
  public volatile boolean noEvict;
  /** READONLY (cluster mode): reads of its primary's slots may be served by this replica. */
  public volatile boolean readonly;
  /** ASKING (cluster mode): the next command may be served for a slot this node imports. */
  public volatile boolean asking;
  /** Set when the reply being produced is the last one (QUIT, CLIENT KILL of self, errors). */
  public volatile boolean closeAfterReply;
  /** REPLCONF rdb-only 1 was sent: SYNC answers the RDB file for redis-cli --rdb. */
  public volatile boolean rdbOnly;
  /** REPLCONF keyshard-at: SYNC sends the slots as they were just before this Unix ms (-1: now). */
  public volatile long rdbAt = -1;
  /**
   * REPLCONF rdb-filter-only: what SYNC's file holds. Redis 7.0's one filter, "functions" (what
   * {@code redis-cli --functions-rdb} sends), leaves the keys out; an empty filter leaves both out.
   */
  public volatile boolean rdbKeys = true;

  public volatile boolean rdbFunctions = true;

  volatile KillSwitch killSwitch;

  /** Pub/Sub messages queued for this connection so far: a later reply goes out after them. */
  final AtomicLong pushesQueued = new AtomicLong();

  /** Bytes of replies made and not yet handed to the socket (client-output-buffer-limit). */
  final AtomicLong outputPending = new AtomicLong();

  /** When the pending replies reached the soft output limit, or 0 while they are below it. */
  volatile long outputSoftLimitSince;

  /** Commands queued since MULTI, or null outside MULTI. */
  public volatile List<byte[][]> multi;

  /** A command was rejected while queueing: EXEC will answer EXECABORT. */
  public volatile boolean multiFailed;

  /** Slots holding this connection's WATCHed keys (its watcher id is its client id). */
  public final Set<Integer> watchedSlots = ConcurrentHashMap.newKeySet();

  public void flagMultiError() {
    if (multi != null) {
      multiFailed = true;
    }
  }

  /** The wait of a blocking command (BLPOP ...) this connection is in, or null. */
  public volatile Waiter blockedOn;

  /** The connection is gone (a blocking command that starts now must not wait). */
  public volatile boolean closed;

  /**
   * Cluster mode: the slots this connection has sent writes to (synchronized on itself), and
   * whether it sent one that may write anywhere (a keyless write, a script): what WAIT waits
   * for replicas to have applied.
   */
  public final java.util.BitSet writtenSlots = new java.util.BitSet();

  public volatile boolean wroteEverywhere;

  /** Pub/Sub: where messages for this connection go (its output stage, set by RespServer). */
  public volatile io.keyshard.node.pubsub.PubSub.Outbox outbox;

  /**
   * The connection's subscriptions as its commands see them (in dispatch order), by name; each is
   * registered with the node's PubSub only when its confirmation goes out (see RespServer).
   */
  public final java.util.Map<io.keyshard.persistence.Bytes, io.keyshard.node.pubsub.PubSub.Subscription> channels =
      new java.util.LinkedHashMap<>();

  public final java.util.Map<io.keyshard.persistence.Bytes, io.keyshard.node.pubsub.PubSub.Subscription> patterns =
      new java.util.LinkedHashMap<>();

  /** Also changed by the node when a slot moves away (synchronized on itself then). */
  public final java.util.Map<io.keyshard.persistence.Bytes, io.keyshard.node.pubsub.PubSub.Subscription> shardChannels =
      java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());

  /** CLIENT TRACKING ON's settings, or null while tracking is off (pubsub/Tracking). */
  public volatile io.keyshard.node.pubsub.Tracking.Client tracking;

  /**
   * CLIENT CACHING YES (OPTIN) or NO (OPTOUT) was sent: holds for the next command (all of a
   * MULTI's), then is cleared.
   */
  public volatile boolean trackingCaching;

  /** Whether CLIENT CACHING applies to the command being dispatched (set by the router). */
  public volatile boolean trackingCachingNow;

  /** CLIENT REPLY OFF: no reply goes out (Pub/Sub confirmations and messages still do). */
  public volatile boolean replyOff;

  /** CLIENT REPLY SKIP: the next command's reply is dropped; then the one after it is sent. */
  public volatile boolean skipNextReply;

  private boolean skipThisReply;

  /**
   * Whether the reply of the command just dispatched is dropped (CLIENT REPLY); called once per
   * command, in dispatch order. {@code push}: a (un)subscribe, whose confirmations Redis sends
   * as pushes whatever CLIENT REPLY says.
   */
  boolean silenceReply(boolean push) {
    boolean silent = !push && (replyOff || skipThisReply);
    skipThisReply = skipNextReply;
    skipNextReply = false;
    return silent;
  }

  /** CLIENT REPLY ON: replies again, from this one on. */
  public void repliesOn() {
    replyOff = false;
    skipNextReply = false;
    skipThisReply = false;
  }

  /**
   * Client tracking's invalidations of keys this connection changed itself: they follow the
   * reply of the command that changed them, as in Redis (see {@link #pushAfterReply}).
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<io.keyshard.node.pubsub.PubSub.Delivery> afterReply =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** Queues a message that goes out once the reply being made now has gone out. */
  public void pushAfterReply(io.keyshard.node.pubsub.PubSub.Delivery d) {
    afterReply.add(d);
  }

  /** What offers the messages queued by {@link #pushAfterReply} so far, or null for none. */
  Runnable takeAfterReply() {
    if (afterReply.isEmpty()) {
      return null;
    }
    List<io.keyshard.node.pubsub.PubSub.Delivery> mine = new java.util.ArrayList<>();
    for (io.keyshard.node.pubsub.PubSub.Delivery d; (d = afterReply.poll()) != null; ) {
      mine.add(d);
    }
    return () -> {
      io.keyshard.node.pubsub.PubSub.Outbox out = outbox;
      if (out != null) {
        mine.forEach(out::offer);
      }
    };
  }

  /** Run by the output stage as the next reply goes out: (un)registering subscriptions. */
  public volatile Runnable onReplyOut;

  /** In Redis's subscribed context (RESP2 then takes only (P|S)(UN)SUBSCRIBE, PING, QUIT, RESET). */
  public boolean subscribed() {
    return !channels.isEmpty() || !patterns.isEmpty() || !shardChannels.isEmpty();
  }

  /**
   * The thread dispatching a request of this connection while none of its earlier requests is
   * unanswered (set by RespServer around the dispatch), so that a read may run directly in its
   * slot without overtaking them; null otherwise.
   */
  volatile Thread aloneOn;

  /** Whether the request being dispatched on this thread has no earlier request unanswered. */
  public boolean nothingEarlierUnanswered() {
    return aloneOn == Thread.currentThread();
  }

  /** Set while a request of this connection waits for a node-wide permit (see RespServer). */
  volatile CompletableFuture<Void> pendingDispatch;

  public Session(long id, String addr, String laddr, boolean authenticated) {
    this.id = id;
    this.addr = addr;
    this.laddr = laddr;
    this.authenticated = authenticated;
  }

  /** Why a connection's stream stopped: it was closed from outside. */
  static final class ClientKilled extends RuntimeException {
    ClientKilled(long id) {
      super("client " + id + " closed by the server", null, false, false);
    }
  }

  /** Closes the connection from outside its stream (CLIENT KILL, shutdown). */
  public void kill() {
    KillSwitch k = killSwitch;
    if (k != null) {
      // Abort rather than complete: the socket closes now, not after in-flight requests.
      k.abort(new ClientKilled(id));
    }
  }
}
