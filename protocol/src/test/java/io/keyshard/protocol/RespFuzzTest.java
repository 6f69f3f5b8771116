package io.keyshard.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * Fuzzes the RESP decoder and the command table's generic checks (unknown command, arity, key
 * positions, slots) in this JVM with {@link HostileInput}'s streams: 100,000 streams and 100,000
 * commands in every CI run, ten times as many with {@code mvn -Pfuzz-long} (which sets
 * {@code keyshard.fuzz.scale=10}). Each property prints how many inputs it ran and how many per
 * minute. How Redis answers such streams is checked over TCP by the node's NetworkFuzzTest,
 * which compares Keyshard with a real redis-server.
 *
 * <p>Properties: nothing throws; a stream decodes to requests with a name, then at most one
 * protocol error, with Redis's texts; the same bytes cut anywhere decode the same (below the 64
 * KB inline limit, whose check Redis applies per read); the decoder holds at most about four
 * times what it was fed plus its 1 MB preallocation cap, whatever lengths are declared; every
 * input is answered within {@link FuzzRun#TRY_TIMEOUT_SECONDS} s.
 */
@AddLifecycleHook(value = FuzzRun.class, propagateTo = PropagationMode.ALL_DESCENDANTS)
class RespFuzzTest {
  private static final List<String> PROTOCOL_ERRORS = List.of(
      "ERR Protocol error: too big inline request",
      "ERR Protocol error: unbalanced quotes in request",
      "ERR Protocol error: too big mbulk count string",
      "ERR Protocol error: invalid multibulk length",
      "ERR Protocol error: unauthenticated multibulk length",
      "ERR Protocol error: too big bulk count string",
      "ERR Protocol error: invalid bulk length",
      "ERR Protocol error: unauthenticated bulk length");

  @Provide
  Arbitrary<byte[]> streams() {
    return HostileInput.stream();
  }

  @Provide
  Arbitrary<int[]> cuts() {
    return Arbitraries.integers().between(0, 1 << 20).array(int[].class).ofMaxSize(6);
  }

  @Property(tries = 100_000)
  void decoderSurvivesHostileStreams(
      @ForAll("streams") byte[] input, @ForAll("cuts") int[] cuts, @ForAll boolean authenticated) {
    DecoderLimits limits = new DecoderLimits().setAuthenticated(authenticated);
    List<Decoded> whole = new ArrayList<>();
    RespDecoder d = new RespDecoder(limits);
    d.feed(input, 0, input.length, whole);
    checkShape(whole, d);
    assertTrue(d.allocatedBytes() <= bound(input.length),
        "decoder holds " + d.allocatedBytes() + " bytes after " + input.length);

    // Cut at random points, each chunk in its own array with slack around it.
    List<Decoded> split = new ArrayList<>();
    RespDecoder s = new RespDecoder(limits);
    int[] points = cuts.clone();
    for (int i = 0; i < points.length; i++) points[i] = input.length == 0 ? 0 : points[i] % input.length;
    java.util.Arrays.sort(points);
    int from = 0;
    long fed = 0;
    for (int i = 0; i <= points.length; i++) {
      int to = i < points.length ? points[i] : input.length;
      byte[] chunk = new byte[to - from + 4];
      System.arraycopy(input, from, chunk, 2, to - from);
      s.feed(chunk, 2, to - from, split);
      fed += to - from;
      assertTrue(s.allocatedBytes() <= bound(fed),
          "decoder holds " + s.allocatedBytes() + " bytes after " + fed);
      from = to;
    }
    checkShape(split, s);
    if (input.length <= DecoderLimits.DEFAULT_INLINE_MAX) {
      assertEquals(whole, split, "the same bytes cut elsewhere");
      assertEquals(d.failed(), s.failed());
      // One request at a time, as a connection that has yet to authenticate is decoded.
      List<Decoded> one = new ArrayList<>();
      RespDecoder o = new RespDecoder(limits);
      o.feed(input, 0, input.length, one, 1);
      for (int n = 0; n < whole.size() && one.size() == n + 1; n++) {
        o.feed(new byte[0], 0, 0, one, 1);
      }
      assertEquals(whole, one, "one request per feed");
    }
    for (Decoded x : whole) {
      if (x instanceof Decoded.Request r) checkCommandLayer(r.argv());
    }
  }

  @Provide
  Arbitrary<byte[][]> commands() {
    return HostileInput.command();
  }

  /** Random names and arities with binary arguments, through the checks every command passes. */
  @Property(tries = 100_000)
  void commandTableAnswersEveryCommand(@ForAll("commands") byte[][] argv) {
    byte[] wire = HostileInput.multibulk(argv);
    List<Decoded> out = new ArrayList<>();
    new RespDecoder(new DecoderLimits()).feed(wire, 0, wire.length, out);
    assertEquals(List.of(new Decoded.Request(argv)), out, "a well-formed multibulk round-trips");
    checkCommandLayer(argv);
  }

  private static long bound(long fed) {
    return 4 * fed + RespDecoder.MAX_PREALLOC + 1024;
  }

  private static void checkShape(List<Decoded> out, RespDecoder d) {
    for (int i = 0; i < out.size(); i++) {
      Decoded x = out.get(i);
      if (x instanceof Decoded.ProtocolError e) {
        assertEquals(out.size() - 1, i, "a protocol error is the last thing decoded");
        assertTrue(d.failed());
        assertTrue(PROTOCOL_ERRORS.contains(e.text())
            || e.text().matches("(?s)ERR Protocol error: expected '\\$', got '.'"), e.text());
      } else {
        byte[][] argv = ((Decoded.Request) x).argv();
        assertTrue(argv.length >= 1, "a request has a name");
        for (byte[] a : argv) assertNotNull(a);
      }
    }
    if (d.failed()) {
      assertTrue(!out.isEmpty() && out.get(out.size() - 1) instanceof Decoded.ProtocolError);
      assertEquals(0, d.bufferedBytes(), "a failed decoder lets go of its input");
    }
  }

  /** What runs for every request before its handler: none of it may throw. */
  private static void checkCommandLayer(byte[][] argv) {
    CommandTable table = CommandTable.standard();
    Reply rejected = table.check(argv);
    CommandSpec spec = table.resolve(argv);
    if (rejected != null) {
      assertTrue(rejected.isError(), "a rejection is an error reply");
      byte[] wire = RespWriter.encode(rejected, 2);
      String text = new String(wire, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertTrue(text.startsWith("-ERR ") || text.startsWith("-EXECABORT "), text);
      // One line: Redis replaces CR and LF echoed from the request by spaces.
      assertEquals(text.length() - 2, text.indexOf("\r\n"), "one line: " + text);
    } else {
      assertNotNull(spec, "a command that passes the checks is known");
      for (int k : table.keyPositions(spec, argv)) {
        assertTrue(k >= 1 && k < argv.length, "key position " + k + " of " + argv.length);
        int slot = Slots.slot(argv[k]);
        assertTrue(slot >= 0 && slot < Slots.SLOT_COUNT);
      }
    }
  }
}
