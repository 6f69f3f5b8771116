package io.keyshard.node.slot;

import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.Reply;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A client blocked in BLPOP, BZPOPMIN and the like, waiting in the queue of every key it named
 * (docs/decisions/2026-11-22-blocking-commands.md). It lives in this JVM only: slots hold it by
 * reference, never serialized.
 *
 * <p>A slot serves it when one of its keys gets data: it <em>claims</em> the waiter (so no other
 * slot, timer or close can end it meanwhile), runs the command's non-blocking body for that key
 * in the same actor turn as the write that made the key ready, and completes the waiter once the
 * pop is in the journal. If the body finds nothing after all, the slot releases the claim. The
 * timeout and the connection's close {@link #expire expire} the waiter: at once if nobody holds
 * the claim, else when the holder releases it.
 */
public final class Waiter {
  /** Completes a waiter whose command must run again through the router (see {@link #retry}). */
  public static final Reply RETRY = Reply.simple("KEYSHARD-RETRY");

  private static final int FREE = 0;
  private static final int CLAIMED = 1;

  private final int db;
  private final String name;
  private final String wants;
  private final boolean retry;
  private final Function<List<byte[]>, byte[][]> argvFor;
  private final Reply timeoutReply;
  private final CompletableFuture<Reply> result = new CompletableFuture<>();
  private final AtomicInteger claim = new AtomicInteger(FREE);
  private volatile boolean expired;
  /** Called in a slot as the waiter is queued there (a stream read fixes its '$' ids then). */
  private volatile BiConsumer<SlotState, List<byte[]>> onQueue;

  /**
   * @param name the body that serves it (the command's own, which never blocks by itself)
   * @param wants the type that makes a key ready ("list", "zset" or "stream")
   * @param retry true when no slot can serve it alone (BLMOVE between slots): a ready key
   *     completes it with {@link #RETRY} and the router runs the command again
   * @param argvFor the command's arguments reduced to some of its keys
   */
  public Waiter(
      int db,
      String name,
      String wants,
      boolean retry,
      Function<List<byte[]>, byte[][]> argvFor,
      Reply timeoutReply) {
    this.db = db;
    this.name = name;
    this.wants = wants;
    this.retry = retry;
    this.argvFor = argvFor;
    this.timeoutReply = timeoutReply;
  }

  /** The blocked client's id (client tracking: its own writes' invalidations follow its reply). */
  private volatile long client;

  public void setClient(long client) {
    this.client = client;
  }

  public long client() {
    return client;
  }

  /** Sets what a slot does with this waiter's keys as it queues it (see {@link #queued}). */
  public void onQueue(BiConsumer<SlotState, List<byte[]>> hook) {
    this.onQueue = hook;
  }

  /** The slot queues this waiter on {@code keys}: its hook sees the state as it is now. */
  public void queued(SlotState state, List<byte[]> keys) {
    BiConsumer<SlotState, List<byte[]>> hook = onQueue;
    if (hook != null) {
      hook.accept(state, keys);
    }
  }

  /**
   * Whether a key's later waiters may be served when this one finds nothing there: a stream
   * read waits for entries after its own id (another reader's may already be there), where a
   * pop finds nothing only when nobody after it would find anything either. Such a waiter's
   * body is run whatever the key holds now: it decides (a group reader whose key went is
   * answered with an error).
   */
  public boolean othersMayFind() {
    return "stream".equals(wants);
  }

  public int db() {
    return db;
  }

  public String name() {
    return name;
  }

  public String wants() {
    return wants;
  }

  public boolean retry() {
    return retry;
  }

  public byte[][] argvFor(List<byte[]> keys) {
    return argvFor.apply(keys);
  }

  public CompletableFuture<Reply> result() {
    return result;
  }

  public boolean isDone() {
    return result.isDone();
  }

  /** Takes the right to serve this waiter; false if it is done or someone else holds it. */
  public boolean claim() {
    return !result.isDone() && claim.compareAndSet(FREE, CLAIMED);
  }

  /** Gives up a claim without serving; a waiter that expired meanwhile ends now. */
  public void release() {
    claim.set(FREE);
    if (expired) {
      expire();
    }
  }

  /** Ends the wait with the command's reply (the claim is kept: nobody else may serve it). */
  public void complete(Reply reply) {
    result.complete(reply);
  }

  /** Timeout or closed connection: ends with the timeout reply unless it is being served. */
  public void expire() {
    expired = true;
    if (claim()) {
      result.complete(timeoutReply);
    }
  }

  /** Whether a reply means "nothing to pop": what the non-blocking body answers then. */
  public static boolean isNothing(Reply r) {
    return r instanceof Reply.Null || r instanceof Reply.NullArray;
  }
}
