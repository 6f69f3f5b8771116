package io.keyshard.node.server;

import io.keyshard.node.pubsub.PubSub;
import io.keyshard.protocol.Decoded;
import io.keyshard.protocol.DecoderLimits;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.RespDecoder;
import io.keyshard.protocol.RespWriter;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.io.Inet;
import org.apache.pekko.io.TcpSO;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RESP port: one Pekko Streams flow per connection that decodes, executes and answers in
 * request order. Pipelined requests run up to {@code pipeline-depth} at a time (mapAsync keeps
 * reply order, and requests reach a slot in order since they are sent in order; a request over
 * several slots runs alone, see {@link #dispatchInOrder}); a client that stops reading stops the
 * flow, and with it the reading of its socket, so it cannot grow memory.
 */
public final class RespServer {
  private static final Logger log = LoggerFactory.getLogger(RespServer.class);

  /**
   * What goes out: a reply (with what to run as it leaves, {@code onOut}: Pub/Sub registrations),
   * or a Pub/Sub message ({@code push}: its subscription, dropped if withdrawn meanwhile; null for
   * a message that always goes out, as the sunsubscribe of a slot that moved). {@code after}: for
   * a reply, how many messages had been queued for the connection when it was made (they go out
   * before it); -1 for a message.
   */
  private record Outgoing(
      ByteString bytes, boolean close, Runnable onOut, PubSub.Subscription push, long after) {
    Outgoing(ByteString bytes, boolean close, long after) {
      this(bytes, close, null, null, after);
    }

    boolean isMessage() {
      return after < 0;
    }
  }

  /** Commands whose confirmations are pushes, sent whatever CLIENT REPLY says (as Redis). */
  private static final Set<String> PUSHED_CONFIRMATIONS =
      Set.of("subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe");

  /** Messages a subscriber may have waiting before it counts as too slow (besides the byte limits). */
  private static final int PUSH_QUEUE = 65_536;

  /** Redis's PROTO_REPLY_CHUNK_BYTES: pending replies up to this are not output buffer. */
  private static final long REPLY_BUFFER = 16 * 1024;

  /** Most bytes of replies coalesced into one socket write. */
  private static final long MAX_WRITE_BATCH = 64 * 1024;

  private final ActorSystem<?> system;
  private final NodeSettings settings;
  private final Router router;
  private final ClientRegistry clients;
  private final ServerStats stats;
  private final InflightLimiter limiter;

  public RespServer(
      ActorSystem<?> system,
      NodeSettings settings,
      Router router,
      ClientRegistry clients,
      ServerStats stats) {
    this.system = system;
    this.settings = settings;
    this.router = router;
    this.clients = clients;
    this.stats = stats;
    this.limiter = new InflightLimiter(settings.maxInflight());
  }

  public CompletionStage<Tcp.ServerBinding> bind() {
    // Nagle's algorithm would hold back replies of a pipeline behind the client's delayed ACK.
    List<Inet.SocketOption> options = List.of(TcpSO.tcpNoDelay(true));
    return Tcp.get(system)
        .bind(settings.bind(), settings.port(), 1024, options, false, Optional.empty())
        .to(Sink.foreach(this::accept))
        .run(system);
  }

  /**
   * The TLS port (tls-port): the same connections as {@link #bind}, behind a server SSLEngine
   * per connection that asks for client certificates as tls-auth-clients says. A client whose
   * certificate is missing or not signed by tls-ca-cert-file fails the handshake and never
   * reaches a session.
   */
  public CompletionStage<Tcp.ServerBinding> bindTls(
      Supplier<SSLEngine> engines) {
    List<Inet.SocketOption> options = List.of(TcpSO.tcpNoDelay(true));
    return Tcp.get(system)
        .bindWithTls(
            settings.bind(),
            settings.tls().port(),
            engines,
            1024,
            options,
            Optional.empty(),
            session -> Optional.empty(),
            TLSClosing.eagerClose())
        .to(Sink.foreach(this::accept))
        .run(system);
  }

  private void accept(Tcp.IncomingConnection conn) {
    stats.connectionsReceived.incrementAndGet();
    if (clients.size() >= settings.maxClients()) {
      stats.rejectedConnections.incrementAndGet();
      byte[] err = RespWriter.encode(Reply.error("ERR max number of clients reached"), 2);
      conn.handleWith(
          Flow.fromSinkAndSource(Sink.ignore(), Source.single(ByteString.fromArray(err))), system);
      return;
    }
    if (settings.protectedMode()
        && router.acl().defaultHasNoPassword()
        && !isLoopback(conn.remoteAddress())) {
      // Protected mode, as Redis: without a password, only clients on this host are served.
      log.debug("Protected mode: refused client {}", address(conn.remoteAddress()));
      byte[] err = RespWriter.encode(PROTECTED_MODE, 2);
      conn.handleWith(
          Flow.fromSinkAndSource(Sink.ignore(), Source.single(ByteString.fromArray(err))), system);
      return;
    }
    Session session =
        new Session(
            clients.nextId(),
            address(conn.remoteAddress()),
            address(conn.localAddress()),
            router.acl().signedInOnConnect());
    DecoderLimits limits = new DecoderLimits();
    Order order = new Order();
    limits.setProtoMaxBulkLen(settings.protoMaxBulkLen());
    limits.setAuthenticated(session.authenticated);

    // Created before the stream runs, so CLIENT KILL can never find the session without it.
    SharedKillSwitch killSwitch = KillSwitches.shared("client-" + session.id);
    session.killSwitch = killSwitch;
    // Pub/Sub messages join the replies after the reply stage, in the order they are offered.
    Pair<BoundedSourceQueue<Outgoing>, Source<Outgoing, NotUsed>> pushes =
        Source.<Outgoing>queue(PUSH_QUEUE).preMaterialize(system);
    BoundedSourceQueue<Outgoing> pushQueue = pushes.first();
    session.outbox = d -> offerPush(session, pushQueue, d);
    Flow<ByteString, ByteString, NotUsed> flow =
        Flow.of(ByteString.class)
            // The client closed its side: as in Redis, it is gone, and a blocking command it is
            // waiting in (which would hold the stream open) stops waiting.
            .watchTermination(
                (mat, inputDone) -> {
                  inputDone.whenComplete((d, t) -> router.inputClosed(session));
                  return mat;
                })
            .statefulMapConcat(
                () -> {
                  RespDecoder decoder = new RespDecoder(limits);
                  return bytes -> {
                    stats.netInputBytes.addAndGet(bytes.size());
                    List<Decoded> out = new ArrayList<>();
                    byte[] chunk = bytes.toArray();
                    decoder.feed(chunk, 0, chunk.length, out);
                    if (queryBufferLimitReached(session, decoder)) {
                      return List.of();
                    }
                    return out;
                  };
                })
            .mapAsync(settings.pipelineDepth(), d -> handle(session, limits, order, d))
            .takeWhile(o -> !o.close(), true)
            .merge(pushes.second(), true)
            // A message queued before a reply was made goes out before it, as Redis writes them
            // (the merge alone may let a reply overtake messages still in the queue).
            .statefulMapConcat(RespServer::messagesBeforeLaterReplies)
            // A subscription is registered (or withdrawn) as its confirmation passes here, after
            // the merge: a message offered later comes out after it, never before.
            .map(
                o -> {
                  if (o.onOut() != null) {
                    o.onOut().run();
                  }
                  if (o.push() != null && !o.push().active()) {
                    session.outputPending.addAndGet(-o.bytes().size());
                    return ByteString.emptyByteString();
                  }
                  return o.bytes();
                })
            .filter(b -> !b.isEmpty())
            // Coalesce replies that are ready together into one socket write, bounded in bytes:
            // a bound in replies (it was 256) let a client that does not read hold 256 replies
            // of a 1 MB value each here. A reply above the bound still goes out, on its own.
            .batchWeighted(MAX_WRITE_BATCH, b -> (long) b.size(), b -> b, ByteString::concat)
            // Last, so that CLIENT KILL, idle timeout and shutdown close the socket at once,
            // whatever is still in flight in the stages before it.
            .via(killSwitch.flow())
            // Handed to the socket: no longer pending for client-output-buffer-limit.
            .map(
                b -> {
                  session.outputPending.addAndGet(-b.size());
                  return b;
                });
    clients.add(session);
    conn.handleWith(
            flow.watchTermination(
                (mat, done) -> {
                  done.whenComplete(
                      (d, t) -> {
                        if (t instanceof SSLException) {
                          // A refused certificate, or a client that does not speak TLS.
                          log.debug("TLS with client {} ({}) failed: {}", session.id, session.addr, t.toString());
                        }
                        session.outbox = null;
                        clients.remove(session);
                        router.closed(session);
                      });
                  return mat;
                }),
            system);
  }

  /**
   * client-query-buffer-limit, read now since CONFIG SET may have changed it: a client whose
   * incomplete request holds more is closed at once, without a reply and without running what
   * came with it, as Redis 7.0 frees it (no INFO counter: Redis has one only from 7.2).
   */
  private boolean queryBufferLimitReached(Session session, RespDecoder decoder) {
    long held = decoder.queryBufferPeak();
    if (held <= settings.clientQueryBufferLimit()) {
      return false;
    }
    log.warn(
        "Closing client that reached max query buffer length: id={} addr={} qbuf={}",
        session.id, session.addr, held);
    session.kill();
    return true;
  }

  private CompletionStage<Outgoing> handle(
      Session s, DecoderLimits limits, Order order, Decoded d) {
    if (d instanceof Decoded.ProtocolError pe) {
      stats.protocolErrors.incrementAndGet();
      log.debug("Protocol error from client {} ({}): {}", s.id, s.addr, pe.text());
      return CompletableFuture.completedFuture(
          queued(s, encode(Reply.error(pe.text()), s.proto), true, s.pushesQueued.get()));
    }
    byte[][] argv = ((Decoded.Request) d).argv();
    stats.commandsProcessed.incrementAndGet();
    CompletableFuture<Outgoing> out = dispatchInOrder(s, limits, order, argv);
    // Tracks when every request so far has its reply; exceptions count as replied.
    order.replied = CompletableFuture.allOf(order.replied, out.handle((o, t) -> null));
    return out;
  }

  /**
   * Dispatches a request in its connection's order. Requests are dispatched in order, and one
   * that goes to a single slot keeps its place there (a slot takes a connection's messages in
   * the order they were sent), so such requests run pipelined. A request over several slots or
   * the whole keyspace reaches its slots later (after locks, after asking the index), so it
   * runs alone: after every earlier request has its reply, and before any later one is
   * dispatched. Only this stream's thread reads and writes {@code pendingDispatch}.
   */
  private CompletableFuture<Outgoing> dispatchInOrder(
      Session s, DecoderLimits limits, Order order, byte[][] argv) {
    CompletableFuture<Void> pending = s.pendingDispatch;
    if (pending != null && pending.isDone()) {
      pending = null;
      s.pendingDispatch = null;
    }
    Route route = router.route(argv);
    if (!router.keepsOrder(route)) {
      CompletableFuture<Void> finished = new CompletableFuture<>();
      CompletableFuture<Outgoing> out =
          order.replied
              .thenCompose(v -> limiter.acquire())
              .thenCompose(v -> execute(s, limits, argv, route, false));
      out.whenComplete((o, t) -> finished.complete(null));
      s.pendingDispatch = finished;
      return out;
    }
    if (pending == null && limiter.tryAcquire()) {
      // Nothing earlier of this connection unanswered: a read may run directly in its slot.
      return execute(s, limits, argv, route, order.replied.isDone());
    }
    // No permit, or an earlier request of this connection is still waiting: queue behind it,
    // so requests are dispatched (and change session state) in order.
    CompletableFuture<Void> previous =
        pending == null ? CompletableFuture.completedFuture(null) : pending;
    CompletableFuture<Void> dispatched = new CompletableFuture<>();
    CompletableFuture<Outgoing> out =
        previous
            .thenCompose(v -> limiter.acquire())
            .thenCompose(
                v -> {
                  CompletableFuture<Outgoing> r = execute(s, limits, argv, route, false);
                  dispatched.complete(null);
                  return r;
                });
    s.pendingDispatch = dispatched;
    return out;
  }

  /** Per connection: completes once every request so far has its reply. */
  private static final class Order {
    CompletableFuture<Void> replied = CompletableFuture.completedFuture(null);
  }

  /** Runs one request holding a permit, released when the reply is ready. */
  private CompletableFuture<Outgoing> execute(
      Session s, DecoderLimits limits, byte[][] argv, Route route, boolean alone) {
    CompletionStage<Reply> reply;
    if (alone) {
      s.aloneOn = Thread.currentThread();
    }
    try {
      reply = router.dispatch(s, argv, route);
    } catch (RuntimeException e) {
      log.error("Command failed for client {}", s.id, e);
      reply = CompletableFuture.completedFuture(Reply.error("ERR internal error"));
    } finally {
      if (alone) {
        s.aloneOn = null;
      }
    }
    boolean silent = s.silenceReply(route.top() != null && PUSHED_CONFIRMATIONS.contains(route.top().name()));
    // Read after dispatch: HELLO and AUTH change these for their own reply and what follows.
    int proto = s.proto;
    boolean close = s.closeAfterReply;
    limits.setAuthenticated(s.authenticated);
    return reply
        .handle(
            (r, t) -> {
              // Always give the permit back, even if the command failed unexpectedly.
              limiter.release();
              if (t != null) {
                log.error("Command failed for client {}", s.id, t);
                r = Reply.error("ERR internal error");
              }
              s.countError(stats.commands, r);
              Runnable onOut = s.onReplyOut;
              s.onReplyOut = null;
              Runnable invalidations = s.takeAfterReply();
              if (invalidations != null) {
                // A connection's invalidations of keys it changed follow the reply (Redis's order).
                Runnable first = onOut;
                onOut = first == null ? invalidations : () -> {
                  first.run();
                  invalidations.run();
                };
              }
              long after = s.pushesQueued.get();
              Outgoing o = queued(s, silent ? ByteString.emptyByteString() : encode(r, proto), close, after);
              return onOut == null ? o : new Outgoing(o.bytes(), o.close(), onOut, null, after);
            })
        .toCompletableFuture();
  }

  /**
   * A reply joins the connection's pending output, and the normal class's
   * client-output-buffer-limit is checked as Redis 7.0 checks it when it adds a reply: a client
   * whose pending replies reach the hard limit, or have stayed at or above the soft limit for
   * more than its seconds, is closed at once; replies not yet written are dropped (commands
   * already running still complete). Pending counts replies made and not yet handed to the
   * socket: those waiting in mapAsync (at most pipeline-depth) and in the write batch. As in
   * Redis, whose first 16 KB of pending replies sit in the client's reply buffer and only its
   * reply list counts, the first {@link #REPLY_BUFFER} bytes do not count.
   */
  private Outgoing queued(Session s, ByteString bytes, boolean close, long after) {
    long pending = s.outputPending.addAndGet(bytes.size()) - REPLY_BUFFER;
    if (limitReached(s, settings.clientOutputBufferLimits().normal(), pending)) {
      log.warn(
          "Client id={} addr={} closed for overcoming of output buffer limits ({} bytes pending)",
          s.id, s.addr, pending);
      s.kill();
    }
    return new Outgoing(bytes, close, after);
  }

  /**
   * After the merge: holds a reply until every message queued before it was made has passed,
   * so a reply never overtakes them; replies keep their order.
   */
  private static Function<Outgoing, Iterable<Outgoing>> messagesBeforeLaterReplies() {
    ArrayDeque<Outgoing> held = new ArrayDeque<>();
    long[] passed = {0};
    return o -> {
      if (o.isMessage()) {
        passed[0]++;
        if (held.isEmpty()) {
          return List.of(o);
        }
        List<Outgoing> out = new ArrayList<>();
        out.add(o);
        while (!held.isEmpty() && held.peek().after() <= passed[0]) {
          out.add(held.poll());
        }
        return out;
      }
      if (held.isEmpty() && o.after() <= passed[0]) {
        return List.of(o);
      }
      held.add(o);
      return List.of();
    };
  }

  /** Redis's checkClientOutputBufferLimits for one class: the hard limit, or the soft one held too long. */
  private static boolean limitReached(Session s, OutputBufferLimits.Limit limit, long pending) {
    boolean reached =
        limit.hardBytes() != 0
            && pending > 0
            && Long.compareUnsigned(pending, limit.hardBytes()) >= 0;
    if (limit.softBytes() != 0
        && pending > 0
        && Long.compareUnsigned(pending, limit.softBytes()) >= 0) {
      long now = System.currentTimeMillis();
      long since = s.outputSoftLimitSince;
      if (since == 0) {
        s.outputSoftLimitSince = now;
      } else if (now - since > limit.softSeconds() * 1000L) {
        reached = true;
      }
    } else {
      s.outputSoftLimitSince = 0;
    }
    return reached;
  }

  /**
   * A message for a subscriber: encoded now in its protocol, counted as pending output, and
   * refused (the caller closes the client) past client-output-buffer-limit's pubsub class or
   * the queue's length, as Redis closes a subscriber that does not read.
   */
  private boolean offerPush(Session s, BoundedSourceQueue<Outgoing> queue, PubSub.Delivery d) {
    ByteString bytes = encode(new Reply.Push(d.items()), s.proto);
    long pending = s.outputPending.addAndGet(bytes.size()) - REPLY_BUFFER;
    boolean reached = limitReached(s, settings.clientOutputBufferLimits().pubsub(), pending);
    if (reached || queue.offer(new Outgoing(bytes, false, null, d.to(), -1)) != QueueOfferResult.enqueued()) {
      s.outputPending.addAndGet(-bytes.size());
      log.warn(
          "Client id={} addr={} closed for overcoming of output buffer limits (pubsub, {} bytes pending)",
          s.id, s.addr, pending);
      return false;
    }
    s.pushesQueued.incrementAndGet();
    return true;
  }

  private ByteString encode(Reply r, int proto) {
    byte[] bytes = RespWriter.encode(r, proto);
    stats.netOutputBytes.addAndGet(bytes.length);
    return ByteString.fromArrayUnsafe(bytes);
  }

  /** Redis 7.0's explanation for a client refused by protected mode, word for word. */
  static final Reply PROTECTED_MODE =
      Reply.error(
          "DENIED Redis is running in protected mode because protected mode is enabled and no"
              + " password is set for the default user. In this mode connections are only"
              + " accepted from the loopback interface. If you want to connect from external"
              + " computers to Redis you may adopt one of the following solutions: 1) Just"
              + " disable protected mode sending the command 'CONFIG SET protected-mode no' from"
              + " the loopback interface by connecting to Redis from the same host the server is"
              + " running, however MAKE SURE Redis is not publicly accessible from internet if"
              + " you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively"
              + " you can just disable the protected mode by editing the Redis configuration"
              + " file, and setting the protected mode option to 'no', and then restarting the"
              + " server. 3) If you started the server manually just for testing, restart it"
              + " with the '--protected-mode no' option. 4) Setup a an authentication password"
              + " for the default user. NOTE: You only need to do one of the above things in"
              + " order for the server to start accepting connections from the outside.");

  private static boolean isLoopback(InetSocketAddress a) {
    return a.getAddress() != null && a.getAddress().isLoopbackAddress();
  }

  private static String address(InetSocketAddress a) {
    String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
    return host + ":" + a.getPort();
  }
}
