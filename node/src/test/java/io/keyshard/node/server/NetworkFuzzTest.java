package io.keyshard.node.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.Decoded;
import io.keyshard.protocol.DecoderLimits;
import io.keyshard.protocol.FuzzRun;
import io.keyshard.protocol.HostileInput;
import io.keyshard.protocol.RespDecoder;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * The fuzz test over TCP: hostile byte streams and random commands sent to a running node and to
 * a real redis-server 7.0, which must answer byte for byte alike: the same replies, the same
 * {@code -ERR Protocol error: ...} and a close where Redis closes. After every stream another
 * client's PING is answered, so a broken connection never stops the node serving others.
 *
 * <p>Inputs per CI run: 1,500 streams, each on a fresh connection, and 1,500 pipelines of up to
 * 30 commands on one connection; ten times as many with {@code mvn -Pfuzz-long} (which sets
 * {@code keyshard.fuzz.scale=10}). The in-process part, {@code RespFuzzTest} in the protocol
 * module, runs the 100,000s. Each property prints its inputs and inputs per minute.
 *
 * <p>Commands are named from {@link #NAMES}, whose replies are deterministic, or at random; an
 * input that would run any other command Redis knows is discarded (an {@code INFO} or a
 * {@code KEYS} has no single right answer to compare, a {@code QUIT} or a {@code SHUTDOWN} ends
 * the comparison). Streams stay under Redis's 16 KB read size, since the "too big" limits apply
 * per read (ProtocolOverTcpTest covers those). Expiry options are not generated: a key that
 * expires between the two servers' answers would differ by timing alone.
 */
@AddLifecycleHook(value = FuzzRun.class, propagateTo = PropagationMode.ALL_DESCENDANTS)
class NetworkFuzzTest {
  static final List<String> NAMES = List.of(
      "ping", "echo", "set", "get", "del", "exists", "incr", "incrby", "decr", "decrby", "append",
      "strlen", "getrange", "mget", "mset", "setnx", "getset", "getdel", "lpush", "rpush", "lpop",
      "rpop", "llen", "lrange", "lindex", "lrem", "ltrim", "hset", "hget", "hdel", "hlen",
      "hexists", "hincrby", "hstrlen", "hmget", "sadd", "srem", "scard", "sismember",
      "smismember", "zadd", "zscore", "zcard", "zrem", "zincrby", "zrank", "zrange", "type",
      "select");
  private static final Set<String> ALLOWED = Set.copyOf(NAMES);

  private static RedisProcess redis;
  private static TestNode node;
  private static Set<String> redisCommands;
  private static RawClient other;
  private static Socket nodePipe;
  private static Socket redisPipe;

  @BeforeContainer
  static void start() throws Exception {
    redis = RedisProcess.start();
    node = TestNode.start();
    redisCommands = new HashSet<>();
    try (Socket s = new Socket("127.0.0.1", redis.port())) {
      s.getOutputStream().write(HostileInput.multibulk(new byte[][] {
          "COMMAND".getBytes(ISO_8859_1), "LIST".getBytes(ISO_8859_1)}));
      String list = new String(readReply(new BufferedInputStream(s.getInputStream())), ISO_8859_1);
      for (String line : list.split("\r\n")) {
        if (!line.isEmpty() && Character.isLetter(line.charAt(0))) {
          redisCommands.add(line.toLowerCase(Locale.ROOT));
        }
      }
    }
    if (redisCommands.size() < 200) {
      throw new IllegalStateException("COMMAND LIST gave " + redisCommands);
    }
    other = new RawClient(node.port());
    nodePipe = open(node.port());
    redisPipe = open(redis.port());
  }

  @AfterContainer
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {other, nodePipe, redisPipe, node, redis}) {
      if (c != null) c.close();
    }
  }

  private static Socket open(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(3_000);
    s.setTcpNoDelay(true);
    return s;
  }

  @Provide
  Arbitrary<byte[]> streams() {
    return HostileInput.fragment(NAMES).list().ofMinSize(1).ofMaxSize(6)
        .map(l -> HostileInput.concat(l.toArray(new byte[0][])))
        .filter(b -> b.length < 16 * 1024);
  }

  /**
   * A stream on a fresh connection: Keyshard answers what Redis answers, closes where Redis
   * closes, and answers another client afterwards.
   */
  @Property(tries = 1_500)
  void streamsAreAnsweredAsRedisAnswers(@ForAll("streams") byte[] input) throws Exception {
    List<Decoded> decoded = new ArrayList<>();
    RespDecoder decoder = new RespDecoder(new DecoderLimits());
    decoder.feed(input, 0, input.length, decoded);
    Assume.that(onlyAllowed(decoded));
    // The decoder says how many replies to wait for; both servers are then held to it.
    String expected = transcript(redis.port(), input, decoded.size(), decoder.failed());
    String actual = transcript(node.port(), input, decoded.size(), decoder.failed());
    assertEquals(expected, actual, "for " + shown(input));
    assertEquals("+PONG", other.call("PING"), "another client after " + shown(input));
  }

  @Provide
  Arbitrary<List<byte[][]>> pipelines() {
    return HostileInput.command(NAMES).list().ofMinSize(1).ofMaxSize(30);
  }

  /** Random commands with random arities and binary arguments, pipelined on one connection. */
  @Property(tries = 1_500)
  void commandsAreAnsweredAsRedisAnswers(@ForAll("pipelines") List<byte[][]> commands)
      throws Exception {
    List<Decoded> decoded = new ArrayList<>();
    for (byte[][] argv : commands) decoded.add(new Decoded.Request(argv));
    Assume.that(onlyAllowed(decoded));
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    for (byte[][] argv : commands) wire.writeBytes(HostileInput.multibulk(argv));
    byte[] bytes = wire.toByteArray();
    nodePipe.getOutputStream().write(bytes);
    redisPipe.getOutputStream().write(bytes);
    InputStream fromNode = new BufferedInputStream(nodePipe.getInputStream());
    InputStream fromRedis = new BufferedInputStream(redisPipe.getInputStream());
    List<String> mismatches = new ArrayList<>();
    for (byte[][] argv : commands) {
      String want = shown(readReply(fromRedis));
      String got = shown(readReply(fromNode));
      if (!want.equals(got)) {
        mismatches.add(shownArgv(argv) + "\n    redis:    " + want + "\n    keyshard: " + got);
      }
    }
    assertEquals("", String.join("\n", mismatches), mismatches.size() + " replies differ");
  }

  /** True unless a request names a command Redis knows that is not in {@link #NAMES}. */
  private static boolean onlyAllowed(List<Decoded> decoded) {
    for (Decoded d : decoded) {
      if (d instanceof Decoded.Request r) {
        String name = new String(r.argv()[0], ISO_8859_1).toLowerCase(Locale.ROOT);
        if (redisCommands.contains(name) && !ALLOWED.contains(name)) return false;
      }
    }
    return true;
  }

  /**
   * Sends {@code input} on a fresh connection and reads {@code replies} replies, each shown with
   * escapes; then, if the decoder failed, what follows the error: "(closed)" or more bytes.
   */
  private static String transcript(int port, byte[] input, int replies, boolean failed)
      throws IOException {
    try (Socket s = open(port)) {
      try {
        s.getOutputStream().write(input);
      } catch (IOException closedWhileWriting) {
        // the server may close after an error before taking all the input; its replies count
      }
      InputStream in = new BufferedInputStream(s.getInputStream());
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < replies; i++) {
        byte[] r = readReplyOrNull(in);
        if (r == null) return out.append("(closed)").toString();
        out.append(shown(r)).append('\n');
      }
      if (failed) out.append(atEnd(in));
      return out.toString();
    }
  }

  private static String atEnd(InputStream in) {
    try {
      int b = in.read();
      return b < 0 ? "(closed)" : "(more: " + (char) b + ")";
    } catch (SocketTimeoutException e) {
      return "(left open)";
    } catch (IOException e) {
      return "(closed)";
    }
  }

  private static byte[] readReplyOrNull(InputStream in) {
    try {
      return readReply(in);
    } catch (SocketTimeoutException e) {
      return "(no reply within 3 s)".getBytes(ISO_8859_1);
    } catch (IOException e) {
      return null;
    }
  }

  /** The exact bytes of one RESP2 reply. */
  static byte[] readReply(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    copyReply(in, out);
    return out.toByteArray();
  }

  private static void copyReply(InputStream in, ByteArrayOutputStream out) throws IOException {
    String line = copyLine(in, out);
    char type = line.charAt(0);
    if (type == '$') {
      int n = Integer.parseInt(line.substring(1));
      if (n >= 0) {
        byte[] body = in.readNBytes(n + 2);
        if (body.length < n + 2) throw new IOException("closed inside a bulk");
        out.writeBytes(body);
      }
    } else if (type == '*') {
      int n = Integer.parseInt(line.substring(1));
      for (int i = 0; i < n; i++) copyReply(in, out);
    }
  }

  private static String copyLine(InputStream in, ByteArrayOutputStream out) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int prev = -1;
    while (true) {
      int c = in.read();
      if (c < 0) throw new IOException("closed");
      line.write(c);
      if (prev == '\r' && c == '\n') break;
      prev = c;
    }
    byte[] b = line.toByteArray();
    out.writeBytes(b);
    return new String(b, 0, b.length - 2, ISO_8859_1);
  }

  static String shown(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      int c = x & 0xFF;
      if (c >= 0x20 && c < 0x7F && c != '\\') sb.append((char) c);
      else sb.append(String.format("\\x%02x", c));
    }
    return sb.length() > 600 ? sb.substring(0, 600) + "...(" + b.length + " bytes)" : sb.toString();
  }

  private static String shownArgv(byte[][] argv) {
    List<String> parts = new ArrayList<>();
    for (byte[] a : argv) parts.add("'" + shown(a) + "'");
    return String.join(" ", parts);
  }
}
