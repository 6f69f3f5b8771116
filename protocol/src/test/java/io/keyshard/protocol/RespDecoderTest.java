package io.keyshard.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RespDecoderTest {

  // ---- helpers ---------------------------------------------------------------------------

  static byte[] b(String latin1) {
    return latin1.getBytes(ISO_8859_1);
  }

  static Decoded req(String... args) {
    byte[][] argv = new byte[args.length][];
    for (int i = 0; i < args.length; i++) argv[i] = b(args[i]);
    return new Decoded.Request(argv);
  }

  static Decoded err(String text) {
    return new Decoded.ProtocolError(text);
  }

  static byte[] multibulk(byte[]... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.writeBytes(b("*" + args.length + "\r\n"));
    for (byte[] a : args) {
      o.writeBytes(b("$" + a.length + "\r\n"));
      o.writeBytes(a);
      o.writeBytes(b("\r\n"));
    }
    return o.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (byte[] p : parts) o.writeBytes(p);
    return o.toByteArray();
  }

  static List<Decoded> decodeWhole(byte[] in) {
    return decodeWhole(in, new DecoderLimits());
  }

  static List<Decoded> decodeWhole(byte[] in, DecoderLimits limits) {
    List<Decoded> out = new ArrayList<>();
    new RespDecoder(limits).feed(in, 0, in.length, out);
    return out;
  }

  /** Feeds {@code in} cut at the given offsets (ascending), each chunk in a fresh array. */
  static List<Decoded> decodeSplit(byte[] in, int... cuts) {
    List<Decoded> out = new ArrayList<>();
    RespDecoder d = new RespDecoder(new DecoderLimits());
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : in.length;
      // Copy into an array with slack around it, so off/len handling is exercised too.
      byte[] chunk = new byte[to - from + 6];
      System.arraycopy(in, from, chunk, 3, to - from);
      d.feed(chunk, 3, to - from, out);
      from = to;
    }
    return out;
  }

  static List<Decoded> decodeByteByByte(byte[] in) {
    List<Decoded> out = new ArrayList<>();
    RespDecoder d = new RespDecoder(new DecoderLimits());
    for (byte x : in) d.feed(new byte[] {x}, 0, 1, out);
    return out;
  }

  // ---- valid input, any split ---------------------------------------------------------------

  private static final byte[] BINARY = new byte[256];

  static {
    for (int i = 0; i < 256; i++) BINARY[i] = (byte) i;
  }

  /** A pipeline mixing every framing Redis accepts, with what Redis makes of it. */
  static final byte[] PIPELINE = concat(
      multibulk(b("SET"), b("key"), b("value")),
      b("*0\r\n"),
      b("*-1\r\n"),
      multibulk(b("ECHO"), BINARY),
      multibulk(b("SET"), b(""), b("\r\n")),
      b("PING\r\n"),
      b("\r\n"),
      b("   \t \r\n"),
      b("\n"),
      b("ECHO \"a b\\x41\\n\" 'c\\'d' e\n"),
      b("*1\r\n$4\r\nPINGxx"), // the two bytes after a payload are skipped, whatever they are
      b("*2\rX$4\r\nECHO\r\n$3\r\nabc\r\n"), // the byte after a header's CR too
      b("GET\tk\r\n"),
      multibulk(b("MSET"), b("a"), b("1"), b("b"), b("2"), b("c"), b("3"), b("d"), b("4"),
          b("e"), b("5"), b("f"), b("6")));

  static final List<Decoded> PIPELINE_DECODED = List.of(
      req("SET", "key", "value"),
      new Decoded.Request(new byte[][] {b("ECHO"), BINARY}),
      req("SET", "", "\r\n"),
      req("PING"),
      req("ECHO", "a bA\n", "c'd", "e"),
      req("PING"),
      req("ECHO", "abc"),
      req("GET", "k"),
      req("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"));

  @Test
  void decodesPipelineInOneChunk() {
    assertEquals(PIPELINE_DECODED, decodeWhole(PIPELINE));
  }

  @Test
  void decodesPipelineSplitAtEveryOffset() {
    for (int i = 0; i <= PIPELINE.length; i++) {
      assertEquals(PIPELINE_DECODED, decodeSplit(PIPELINE, i), "split at " + i);
    }
  }

  @Test
  void decodesPipelineSplitAtEveryPairOfOffsets() {
    for (int i = 0; i <= PIPELINE.length; i++) {
      for (int j = i; j <= PIPELINE.length; j++) {
        assertEquals(PIPELINE_DECODED, decodeSplit(PIPELINE, i, j), "split at " + i + "," + j);
      }
    }
  }

  @Test
  void decodesPipelineByteByByte() {
    assertEquals(PIPELINE_DECODED, decodeByteByByte(PIPELINE));
  }

  @Test
  void holdsNoBytesBetweenCompleteRequests() {
    RespDecoder d = new RespDecoder(new DecoderLimits());
    List<Decoded> out = new ArrayList<>();
    byte[] ping = multibulk(b("PING"));
    d.feed(ping, 0, ping.length - 1, out);
    assertEquals(List.of(), out);
    // Like Redis's query buffer: the headers already parsed are gone, "PING\r" is left.
    assertEquals(5, d.bufferedBytes());
    d.feed(ping, ping.length - 1, 1, out);
    assertEquals(List.of(req("PING")), out);
    assertEquals(0, d.bufferedBytes());
  }

  @Test
  void bigBulksSurviveAnySplitNearTheirEdges() {
    byte[] big = new byte[RespDecoder.BIG_ARG * 3 + 17];
    new Random(1).nextBytes(big);
    byte[] in = concat(multibulk(b("SET"), b("k"), big), b("PING\r\n"),
        multibulk(b("SET"), b("k2"), Arrays.copyOf(big, RespDecoder.BIG_ARG)));
    List<Decoded> expected = List.of(new Decoded.Request(new byte[][] {b("SET"), b("k"), big}),
        req("PING"),
        new Decoded.Request(new byte[][] {b("SET"), b("k2"),
            Arrays.copyOf(big, RespDecoder.BIG_ARG)}));
    assertEquals(expected, decodeWhole(in));
    // Every offset would be slow for no gain: take every one near a header or a payload's edge,
    // and a stride through the payloads.
    int first = multibulk(b("SET"), b("k"), big).length;
    int[] edges = {0, first - big.length - 2, first - 2, first, first + 6,
        in.length - RespDecoder.BIG_ARG - 2, in.length};
    for (int i = 0; i <= in.length; i++) {
      boolean nearEdge = false;
      for (int e : edges) nearEdge |= Math.abs(i - e) <= 40;
      if (nearEdge || i % 997 == 0) {
        assertEquals(expected, decodeSplit(in, i), "split at " + i);
      }
    }
    Random r = new Random(2);
    for (int round = 0; round < 50; round++) {
      int[] cuts = r.ints(r.nextInt(40), 0, in.length + 1).sorted().toArray();
      assertEquals(expected, decodeSplit(in, cuts), "cuts " + Arrays.toString(cuts));
    }
  }

  @Test
  void hundredMegabyteBulkIn64KChunks() {
    int size = 100 * 1024 * 1024;
    RespDecoder d = new RespDecoder(new DecoderLimits());
    List<Decoded> out = new ArrayList<>();
    byte[] header = b("*2\r\n$3\r\nSET\r\n$" + size + "\r\n");
    d.feed(header, 0, header.length, out);
    // The header alone must not make the decoder reserve the declared 100 MB.
    assertTrue(d.allocatedBytes() <= RespDecoder.MAX_PREALLOC + 1024, "" + d.allocatedBytes());
    byte[] chunk = new byte[64 * 1024];
    int sent = 0;
    while (sent < size) {
      int n = Math.min(chunk.length, size - sent);
      for (int i = 0; i < n; i++) chunk[i] = (byte) (sent + i);
      d.feed(chunk, 0, n, out);
      sent += n;
      assertEquals(sent, d.bufferedBytes());
    }
    assertEquals(List.of(), out);
    d.feed(b("\r\n"), 0, 2, out);
    assertEquals(1, out.size());
    byte[] value = ((Decoded.Request) out.get(0)).argv()[1];
    assertEquals(size, value.length);
    for (int i = 0; i < size; i += 4093) assertEquals((byte) i, value[i], "byte " + i);
    assertEquals(0, d.bufferedBytes());
  }

  /**
   * What client-query-buffer-limit is compared with: the incomplete request's bytes, and a big
   * bulk whole with its CRLF at the moment it completes (Redis 7.0 closes a client sending a
   * value of limit - 1 bytes, and keeps one sending limit - 2), not the completed arguments of
   * an unfinished multibulk (Redis moves those out of its query buffer).
   */
  @Test
  void queryBufferPeakCountsAsRedis() {
    RespDecoder d = new RespDecoder(new DecoderLimits());
    List<Decoded> out = new ArrayList<>();
    byte[] header = b("*2\r\n$3\r\nSET\r\n$100000\r\n");
    d.feed(header, 0, header.length, out);
    assertEquals(0, d.queryBufferPeak());
    byte[] part = new byte[60_000];
    d.feed(part, 0, part.length, out);
    assertEquals(60_000, d.queryBufferPeak());
    // The rest of the bulk, its CRLF and a complete PING in one chunk: the bulk peaked whole.
    byte[] rest = new byte[40_000 + 2 + 14];
    System.arraycopy(b("\r\n*1\r\n$4\r\nPING\r\n"), 0, rest, 40_000, 16);
    d.feed(rest, 0, rest.length, out);
    assertEquals(2, out.size());
    assertEquals(100_002, d.queryBufferPeak());
    assertEquals(0, d.bufferedBytes());
    d.feed(b("PI"), 0, 2, out);
    assertEquals(2, d.queryBufferPeak(), "a new feed starts a new peak");
    // Small arguments of an unfinished multibulk are not held as query buffer.
    RespDecoder m = new RespDecoder(new DecoderLimits());
    byte[] many = b("*100000\r\n" + "$10\r\n0123456789\r\n".repeat(50_000));
    m.feed(many, 0, many.length, out);
    assertEquals(0, m.queryBufferPeak());
  }

  @Test
  void declaredHugeBulkWithoutDataReservesLittle() {
    RespDecoder d = new RespDecoder(new DecoderLimits());
    List<Decoded> out = new ArrayList<>();
    byte[] in = b("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\nabc");
    d.feed(in, 0, in.length, out);
    assertEquals(List.of(), out);
    assertFalse(d.failed());
    assertTrue(d.allocatedBytes() <= RespDecoder.MAX_PREALLOC + 1024, "" + d.allocatedBytes());
    assertEquals(3, d.bufferedBytes());
  }

  @Test
  void hugeDeclaredArgumentCountReservesLittle() {
    byte[] in = b("*2147483647\r\n$4\r\nPING\r\n");
    RespDecoder d = new RespDecoder(new DecoderLimits());
    List<Decoded> out = new ArrayList<>();
    d.feed(in, 0, in.length, out);
    assertEquals(List.of(), out);
    assertFalse(d.failed());
  }

  // ---- errors ----------------------------------------------------------------------------

  static List<Arguments> errorCases() {
    String x70k = "x".repeat(70_000);
    return List.of(
        Arguments.of("*1\r\n:1\r\n", List.of(err("ERR Protocol error: expected '$', got ':'"))),
        Arguments.of("*1\r\n\r\n", List.of(err("ERR Protocol error: expected '$', got ' '"))),
        Arguments.of("*1\r\n\n\r\n", List.of(err("ERR Protocol error: expected '$', got ' '"))),
        Arguments.of("*1\r\n\u00ff\r\n",
            List.of(err("ERR Protocol error: expected '$', got '\udcff'"))),
        Arguments.of("*\r\n", List.of(err("ERR Protocol error: invalid multibulk length"))),
        Arguments.of("*+1\r\n", List.of(err("ERR Protocol error: invalid multibulk length"))),
        Arguments.of("* 1\r\n", List.of(err("ERR Protocol error: invalid multibulk length"))),
        Arguments.of("*01\r\n", List.of(err("ERR Protocol error: invalid multibulk length"))),
        Arguments.of("*-0\r\n", List.of(err("ERR Protocol error: invalid multibulk length"))),
        Arguments.of("*1x\r\n", List.of(err("ERR Protocol error: invalid multibulk length"))),
        Arguments.of("*2147483648\r\n",
            List.of(err("ERR Protocol error: invalid multibulk length"))),
        Arguments.of("*99999999999999999999\r\n",
            List.of(err("ERR Protocol error: invalid multibulk length"))),
        Arguments.of("*1\n$4\r\nPING\r\n",
            List.of(err("ERR Protocol error: invalid multibulk length"))),
        Arguments.of("*1\r\n$\r\n", List.of(err("ERR Protocol error: invalid bulk length"))),
        Arguments.of("*1\r\n$-1\r\n", List.of(err("ERR Protocol error: invalid bulk length"))),
        Arguments.of("*1\r\n$+4\r\nPING\r\n",
            List.of(err("ERR Protocol error: invalid bulk length"))),
        Arguments.of("*1\r\n$ 4\r\nPING\r\n",
            List.of(err("ERR Protocol error: invalid bulk length"))),
        Arguments.of("*1\r\n$04\r\nPING\r\n",
            List.of(err("ERR Protocol error: invalid bulk length"))),
        Arguments.of("*1\r\n$536870913\r\n",
            List.of(err("ERR Protocol error: invalid bulk length"))),
        Arguments.of("PING\r\n\"x\n",
            List.of(req("PING"), err("ERR Protocol error: unbalanced quotes in request"))),
        Arguments.of("ECHO \"a\"b\n",
            List.of(err("ERR Protocol error: unbalanced quotes in request"))),
        Arguments.of("ECHO 'a\n", List.of(err("ERR Protocol error: unbalanced quotes in request"))),
        Arguments.of("*1\r\n$4\r\nPING\r\n*1\r\n:1\r\nPING\r\n",
            List.of(req("PING"), err("ERR Protocol error: expected '$', got ':'"))),
        Arguments.of("PING " + x70k, List.of(err("ERR Protocol error: too big inline request"))),
        Arguments.of("*" + x70k, List.of(err("ERR Protocol error: too big mbulk count string"))),
        Arguments.of("*1\r\n$" + x70k,
            List.of(err("ERR Protocol error: too big bulk count string"))),
        // A NUL hides the line end from Redis's strchr: the request waits, then is too big.
        Arguments.of("PI\0NG\r\n" + x70k,
            List.of(err("ERR Protocol error: too big inline request"))),
        Arguments.of("*1\0\r\n$4\r\nPING\r\n" + x70k,
            List.of(err("ERR Protocol error: too big mbulk count string"))));
  }

  @ParameterizedTest
  @MethodSource("errorCases")
  void reportsRedisErrorText(String input, List<Decoded> expected) {
    byte[] in = b(input);
    assertEquals(expected, decodeWhole(in));
    if (in.length < 1000) {
      assertEquals(expected, decodeByteByByte(in));
    }
  }

  @Test
  void ignoresEverythingAfterAnError() {
    RespDecoder d = new RespDecoder(new DecoderLimits());
    List<Decoded> out = new ArrayList<>();
    byte[] bad = b("*x\r\n");
    d.feed(bad, 0, bad.length, out);
    assertTrue(d.failed());
    byte[] ping = b("PING\r\n");
    d.feed(ping, 0, ping.length, out);
    assertEquals(List.of(err("ERR Protocol error: invalid multibulk length")), out);
    assertEquals(0, d.bufferedBytes());
  }

  @Test
  void waitsOnLinesHiddenBehindNul() {
    for (String s : List.of("PI\0NG\r\nPING\r\n", "*1\0\r\n$4\r\nPING\r\n",
        "*1\r\n$4\0\r\nPING\r\n")) {
      RespDecoder d = new RespDecoder(new DecoderLimits());
      List<Decoded> out = new ArrayList<>();
      d.feed(b(s), 0, s.length(), out);
      assertEquals(List.of(), out, s);
      assertFalse(d.failed());
    }
    // In a payload a NUL is just a byte.
    assertEquals(List.of(req("P\0NG")), decodeWhole(b("*1\r\n$4\r\nP\0NG\r\n")));
  }

  @Test
  void inlineLimitCountsBufferedBytesNotFinalLineLength() {
    // As in Redis: a 70 KB line that arrives whole is fine; one that trickles in is not.
    String line = "ECHO " + "y".repeat(70_000) + "\r\n";
    assertEquals(List.of(req("ECHO", "y".repeat(70_000))), decodeWhole(b(line)));
    assertEquals(List.of(err("ERR Protocol error: too big inline request")),
        decodeSplit(b(line), 65_537));
    assertEquals(List.of(req("ECHO", "y".repeat(70_000))), decodeSplit(b(line), 65_536));
  }

  @Test
  void limitsAreTheConfiguredOnes() {
    DecoderLimits l = new DecoderLimits().setProtoMaxBulkLen(10).setMaxMultibulk(3)
        .setInlineMax(8);
    assertEquals(List.of(req("a", "0123456789")),
        decodeWhole(multibulk(b("a"), b("0123456789")), l));
    assertEquals(List.of(err("ERR Protocol error: invalid bulk length")),
        decodeWhole(multibulk(b("0123456789X")), l));
    assertEquals(List.of(err("ERR Protocol error: invalid multibulk length")),
        decodeWhole(multibulk(b("a"), b("b"), b("c"), b("d")), l));
    assertEquals(List.of(err("ERR Protocol error: too big inline request")),
        decodeWhole(b("123456789"), l));
  }

  @Test
  void unauthenticatedLimits() {
    DecoderLimits l = new DecoderLimits().setAuthenticated(false);
    byte[][] ten = new byte[10][];
    Arrays.fill(ten, b("a"));
    assertEquals(1, decodeWhole(multibulk(ten), l).size());
    byte[][] eleven = new byte[11][];
    Arrays.fill(eleven, b("a"));
    assertEquals(List.of(err("ERR Protocol error: unauthenticated multibulk length")),
        decodeWhole(multibulk(eleven), l));
    assertEquals(1, decodeWhole(multibulk(new byte[16384]), l).size());
    assertEquals(List.of(err("ERR Protocol error: unauthenticated bulk length")),
        decodeWhole(multibulk(new byte[16385]), l));
    // An invalid count is reported as invalid, before the authentication check.
    assertEquals(List.of(err("ERR Protocol error: invalid multibulk length")),
        decodeWhole(b("*2147483648\r\n"), l));
    // Inline requests have no such limit.
    assertEquals(1, decodeWhole(b("PING a b c d e f g h i j k l\r\n"), l).size());
  }

  @Test
  void authInTheSamePacketLiftsLimitsForTheNextRequest() {
    DecoderLimits l = new DecoderLimits().setAuthenticated(false);
    RespDecoder d = new RespDecoder(l);
    List<Decoded> out = new ArrayList<>();
    byte[] in = concat(multibulk(b("AUTH"), b("secret")), multibulk(b("SET"), new byte[20_000]));
    d.feed(in, 0, in.length, out, 1);
    assertEquals(List.of(req("AUTH", "secret")), out);
    l.setAuthenticated(true); // what the node does once AUTH succeeds
    d.feed(new byte[0], 0, 0, out, 1);
    assertEquals(2, out.size());
    assertEquals(new Decoded.Request(new byte[][] {b("SET"), new byte[20_000]}), out.get(1));
    assertFalse(d.failed());
  }

  @Test
  void maxRequestsKeepsTheRestForLater() {
    RespDecoder d = new RespDecoder(new DecoderLimits());
    List<Decoded> out = new ArrayList<>();
    byte[] in = b("PING\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    d.feed(in, 0, in.length, out, 2);
    assertEquals(2, out.size());
    assertEquals(14, d.bufferedBytes());
    d.feed(in, 0, 0, out, 2);
    assertEquals(3, out.size());
    assertEquals(0, d.bufferedBytes());
  }

  // ---- robustness --------------------------------------------------------------------------

  private static final String[] FRAGMENTS = {
      "*", "$", "\r", "\n", "\r\n", "0", "1", "2", "3", "-", "+", " ", "\0", "\"", "'", "\\",
      "x", "PING", "*1\r\n", "*2\r\n", "$3\r\n", "$1\r\n", "*-1\r\n", "*0\r\n", "abc", "\\x4",
      "\u00ff", ":", "{", "9999999999999999999999"};

  @Test
  void randomInputNeverThrowsAndDoesNotDependOnSplits() {
    Random r = new Random(42);
    for (int round = 0; round < 3000; round++) {
      StringBuilder sb = new StringBuilder();
      int n = r.nextInt(30);
      for (int i = 0; i < n; i++) sb.append(FRAGMENTS[r.nextInt(FRAGMENTS.length)]);
      byte[] in = b(sb.toString());
      List<Decoded> whole = decodeWhole(in);
      int[] cuts = r.ints(r.nextInt(6), 0, in.length + 1).sorted().toArray();
      // Short of the 64 KB limits, where Redis itself depends on read sizes, the result may not
      // depend on how the bytes were cut.
      assertEquals(whole, decodeSplit(in, cuts), sb.toString());
      assertEquals(whole, decodeByteByByte(in), sb.toString());
      for (int i = 0; i < whole.size() - 1; i++) {
        assertTrue(whole.get(i) instanceof Decoded.Request, "nothing follows an error");
      }
    }
  }

  @Test
  void randomBytesNeverThrow() {
    Random r = new Random(7);
    for (int round = 0; round < 2000; round++) {
      byte[] in = new byte[r.nextInt(200)];
      r.nextBytes(in);
      if (r.nextBoolean() && in.length > 0) in[0] = '*';
      List<Decoded> whole = decodeWhole(in);
      assertEquals(whole, decodeByteByByte(in));
    }
  }

  @Test
  void parseLengthFollowsString2ll() {
    assertEquals(0, parse("0"));
    assertEquals(12, parse("12"));
    assertEquals(-1, parse("-12"));
    assertEquals(Long.MAX_VALUE, parse("9223372036854775807"));
    assertEquals(-1, parse("-9223372036854775808"));
    for (String bad : List.of("", "-", "+1", " 1", "1 ", "01", "-0", "00", "1a",
        "9223372036854775808", "-9223372036854775809", "123456789012345678901")) {
      assertEquals(RespDecoder.BAD_NUMBER, parse(bad), bad);
    }
  }

  @Test
  void llongMinCountIsAnEmptyMultibulk() {
    assertEquals(List.of(req("PING")), decodeWhole(b("*-9223372036854775808\r\nPING\r\n")));
  }

  private static long parse(String s) {
    byte[] x = b(s);
    return RespDecoder.parseLength(x, 0, x.length);
  }

  @Test
  void requestEqualityIsByContent() {
    assertEquals(req("a", "b"), req("a", "b"));
    assertArrayEquals(b("a"), ((Decoded.Request) req("a")).argv()[0]);
    assertEquals("Request[\"SET\" \"\\x00\\\"\"]", req("SET", "\0\"").toString());
  }
}
