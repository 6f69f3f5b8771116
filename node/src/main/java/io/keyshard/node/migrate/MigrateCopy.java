package io.keyshard.node.migrate;

import io.keyshard.node.commands.Args;
import io.keyshard.node.slot.SlotExecutor;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MIGRATE's copy path, to any server that speaks RESP (a Redis, another Keyshard): DUMP each
 * key, send them as RESTORE (RESTORE-ASKING from a node in cluster mode, as Redis 7.0 does) with
 * AUTH and SELECT before them when needed, and delete each key the target answered OK for,
 * unless COPY. The caller holds the keys' slots locked (a transaction) for the whole run, so no
 * write to a key can fall between its DUMP and its deletion; the socket work runs on an I/O
 * executor, never on a slot's thread, and other slots are not held.
 *
 * <p>Replies and their texts are Redis 7.0's: OK, NOKEY, "IOERR error or timeout connecting to
 * the client", "IOERR error or timeout writing|reading to target instance", "ERR Target
 * instance replied with error: ...". A socket error before any reply is retried once on a new
 * connection (a kept one may have been closed by the target), unless it was a timeout.
 */
public final class MigrateCopy {
  private static final Logger log = LoggerFactory.getLogger(MigrateCopy.class);

  public static final Reply NOKEY = Reply.simple("NOKEY");
  static final Reply CANNOT_CONNECT = Reply.error("IOERR error or timeout connecting to the client");

  private final TargetConnections connections = new TargetConnections();
  private final Executor io;

  /** @param io where the blocking socket work runs (a blocking-I/O dispatcher) */
  public MigrateCopy(Executor io) {
    this.io = io;
  }

  /** A key as DUMP took it: its payload and absolute expiry (0: none). */
  private record Dumped(byte[] key, byte[] payload, long expireAt) {}

  /** What the target made of the keys sent: those it restored, and MIGRATE's reply. */
  private record Outcome(List<byte[]> restored, Reply reply) {}

  /**
   * Runs MIGRATE's copy for {@code args} in database {@code db}, its slots reached through
   * {@code slots} (locked by the caller's transaction); {@code asking}: send RESTORE-ASKING.
   */
  public CompletionStage<Reply> run(SlotExecutor slots, int db, MigrateArgs args, boolean asking) {
    return dumpAll(slots, db, args.keys())
        .thenCompose(
            dumps -> {
              if (dumps.error() != null) {
                return CompletableFuture.completedFuture(dumps.error());
              }
              List<Dumped> dumped = dumps.dumped();
              if (dumped.isEmpty()) {
                return CompletableFuture.completedFuture(NOKEY);
              }
              return CompletableFuture.supplyAsync(() -> transfer(args, dumped, asking), io)
                  .thenCompose(
                      outcome ->
                          args.copy() || outcome.restored().isEmpty()
                              ? CompletableFuture.completedFuture(outcome.reply())
                              : deleteAll(slots, db, outcome.restored())
                                  .thenApply(deleted -> deleted.isError() ? deleted : outcome.reply()));
            });
  }

  /** The keys' DUMPs, or the error a slot answered instead (then nothing is sent). */
  private record Dumps(List<Dumped> dumped, Reply error) {}

  /** DUMP of every key still there, in argument order (a missing one is left out). */
  private static CompletableFuture<Dumps> dumpAll(
      SlotExecutor slots, int db, List<byte[]> keys) {
    List<CompletableFuture<Reply>> reads = new ArrayList<>(keys.size());
    for (byte[] key : keys) {
      reads.add(
          slots.exec(Slots.slot(key), "__dump", db, Args.command("__dump", key), false)
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(reads.toArray(new CompletableFuture[0]))
        .thenApply(
            v -> {
              List<Dumped> out = new ArrayList<>();
              for (int i = 0; i < keys.size(); i++) {
                Reply r = reads.get(i).join();
                if (r instanceof Reply.Array a) {
                  byte[] payload = ((Reply.Bulk) a.items().get(0)).value();
                  long expireAt = ((Reply.Int) a.items().get(1)).value();
                  out.add(new Dumped(keys.get(i), payload, expireAt));
                } else if (r.isError()) {
                  return new Dumps(List.of(), r);
                }
              }
              return new Dumps(out, null);
            });
  }

  /** DEL of the keys the target took, one command per slot. */
  private static CompletableFuture<Reply> deleteAll(
      SlotExecutor slots, int db, List<byte[]> keys) {
    Map<Integer, List<byte[]>> bySlot = new LinkedHashMap<>();
    for (byte[] key : keys) {
      bySlot.computeIfAbsent(Slots.slot(key), s -> new ArrayList<>()).add(key);
    }
    List<CompletableFuture<Reply>> dels = new ArrayList<>();
    bySlot.forEach(
        (slot, ks) ->
            dels.add(
                slots.exec(slot, "del", db, Args.command("del", ks.toArray(new byte[0][])), true)
                    .toCompletableFuture()));
    return CompletableFuture.allOf(dels.toArray(new CompletableFuture[0]))
        .thenApply(
            v ->
                dels.stream()
                    .map(CompletableFuture::join)
                    .filter(Reply::isError)
                    .findFirst()
                    .orElse(Reply.OK));
  }

  /** The socket part, on the I/O executor: Redis's migrateCommand from connecting on. */
  private Outcome transfer(MigrateArgs args, List<Dumped> dumped, boolean asking) {
    // TTLs as Redis computes them when it writes the commands: what is left, at least 1 ms;
    // a key that expired since its DUMP is not sent.
    long now = System.currentTimeMillis();
    List<Dumped> sent = new ArrayList<>(dumped.size());
    List<Long> ttls = new ArrayList<>(dumped.size());
    for (Dumped d : dumped) {
      long ttl = 0;
      if (d.expireAt() != 0) {
        ttl = d.expireAt() - now;
        if (ttl < 0) {
          continue;
        }
        ttl = Math.max(ttl, 1);
      }
      sent.add(d);
      ttls.add(ttl);
    }
    return attempt(args, sent, ttls, asking, true);
  }

  private Outcome attempt(
      MigrateArgs args, List<Dumped> sent, List<Long> ttls, boolean asking, boolean mayRetry) {
    TargetConnection c;
    try {
      c = connections.take(args.host(), args.port(), args.timeoutMillis());
    } catch (TargetConnection.NoAddress | RuntimeException e) {
      log.debug("MIGRATE to {}:{}: cannot connect", args.host(), args.port(), e);
      return new Outcome(List.of(), CANNOT_CONNECT);
    } catch (IOException e) {
      // Redis's blocking connect does not look at the outcome: a refused or timed-out
      // connection fails its first write, retried once unless it timed out.
      if (mayRetry && !(e instanceof SocketTimeoutException)) {
        return attempt(args, sent, ttls, asking, false);
      }
      return new Outcome(List.of(), ioError(true));
    }
    boolean select = c.selectedDb != args.db();
    try {
      c.write(commands(args, sent, ttls, asking, select), args.timeoutMillis());
    } catch (IOException | RuntimeException e) {
      c.close();
      if (mayRetry && !(e instanceof SocketTimeoutException)) {
        return attempt(args, sent, ttls, asking, false);
      }
      return new Outcome(List.of(), ioError(true));
    }
    String authReply = null;
    String selectReply = null;
    try {
      if (args.password() != null) {
        authReply = c.readLine(args.timeoutMillis());
      }
      if (select) {
        selectReply = c.readLine(args.timeoutMillis());
      }
    } catch (IOException | RuntimeException e) {
      c.close();
      if (mayRetry && !(e instanceof SocketTimeoutException)) {
        return attempt(args, sent, ttls, asking, false);
      }
      return new Outcome(List.of(), ioError(false));
    }
    List<byte[]> restored = new ArrayList<>();
    Reply targetError = null;
    IOException socketError = null;
    int j = 0;
    for (; j < sent.size(); j++) {
      String line;
      try {
        line = c.readLine(args.timeoutMillis());
      } catch (IOException e) {
        socketError = e;
        break;
      }
      String error = failed(authReply) ? authReply : failed(selectReply) ? selectReply : failed(line) ? line : null;
      if (error != null) {
        if (targetError == null) {
          // From now on the selected database is not known: SELECT again next time.
          c.selectedDb = -1;
          targetError = Err.err("Target instance replied with error: " + error.substring(1));
        }
      } else {
        restored.add(sent.get(j).key());
      }
    }
    if (socketError != null) {
      c.close();
      if (targetError == null && j == 0 && mayRetry
          && !(socketError instanceof SocketTimeoutException)) {
        return attempt(args, sent, ttls, asking, false);
      }
      return new Outcome(restored, targetError != null ? targetError : ioError(false));
    }
    if (targetError != null) {
      connections.giveBack(args.host(), args.port(), c);
      return new Outcome(restored, targetError);
    }
    c.selectedDb = args.db();
    connections.giveBack(args.host(), args.port(), c);
    return new Outcome(restored, Reply.OK);
  }

  private static boolean failed(String line) {
    return line != null && !line.isEmpty() && line.charAt(0) == '-';
  }

  private static Reply ioError(boolean writing) {
    return Reply.error(
        "IOERR error or timeout " + (writing ? "writing" : "reading") + " to target instance");
  }

  /** AUTH, SELECT and the RESTOREs as RESP, each payload sent from its own array, not copied. */
  private static List<ByteBuffer> commands(
      MigrateArgs args, List<Dumped> sent, List<Long> ttls, boolean asking, boolean select) {
    List<ByteBuffer> out = new ArrayList<>(2 + 3 * sent.size());
    Resp head = new Resp();
    if (args.password() != null) {
      if (args.username() != null) {
        head.array(3).bulk("AUTH").bulk(args.username()).bulk(args.password());
      } else {
        head.array(2).bulk("AUTH").bulk(args.password());
      }
    }
    if (select) {
      head.array(2).bulk("SELECT").bulk(Long.toString(args.db()));
    }
    for (int i = 0; i < sent.size(); i++) {
      Dumped d = sent.get(i);
      head.array(args.replace() ? 5 : 4)
          .bulk(asking ? "RESTORE-ASKING" : "RESTORE")
          .bulk(d.key())
          .bulk(Long.toString(ttls.get(i)))
          .length(d.payload().length);
      out.add(head.done());
      out.add(ByteBuffer.wrap(d.payload()));
      head = new Resp().crlf();
      if (args.replace()) {
        head.bulk("REPLACE");
      }
    }
    out.add(head.done());
    return out;
  }

  /** A few RESP frames in a small buffer. */
  private static final class Resp {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream(128);

    Resp array(int n) {
      return line('*', n);
    }

    Resp length(int n) {
      return line('$', n);
    }

    Resp bulk(String s) {
      return bulk(s.getBytes(StandardCharsets.UTF_8));
    }

    Resp bulk(byte[] b) {
      length(b.length);
      buf.writeBytes(b);
      return crlf();
    }

    Resp crlf() {
      buf.write('\r');
      buf.write('\n');
      return this;
    }

    private Resp line(char type, long n) {
      buf.write(type);
      buf.writeBytes(Long.toString(n).getBytes(StandardCharsets.US_ASCII));
      return crlf();
    }

    ByteBuffer done() {
      return ByteBuffer.wrap(buf.toByteArray());
    }
  }

  /** Closes connections kept longer than 10 s without use (call about every second). */
  public void closeIdle() {
    connections.closeIdle(System.currentTimeMillis());
  }

  public void closeAll() {
    connections.closeAll();
  }
}
