package io.keyshard.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.ByteArrayOutputStream;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Generators of what a hostile or broken client sends: byte streams made of well-formed and
 * malformed fragments (multibulk headers with huge, negative and non-numeric counts, bulk headers
 * likewise, array elements that are not bulk strings, inline lines with quotes, escapes, NUL and
 * every blank, random bytes), and commands with random names, arities and binary arguments.
 */
public final class HostileInput {
  private HostileInput() {}

  /** Texts a count or a length may be: valid, negative, signed, padded, too big, not a number. */
  public static Arbitrary<String> numberText() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.integers().between(0, 20).map(String::valueOf)),
        Tuple.of(2, Arbitraries.integers().between(-20, -1).map(String::valueOf)),
        Tuple.of(2, Arbitraries.of("-0", "+1", "01", " 1", "1 ", "", "-", "0x10", "1e3",
            "2147483647", "2147483648", "536870912", "536870913", "9223372036854775807",
            "-9223372036854775808", "9223372036854775808", "99999999999999999999",
            "16384", "16385", "1048576", "-1")),
        Tuple.of(1, Arbitraries.longs().map(String::valueOf)),
        Tuple.of(1, bytes(0, 6).map(b -> new String(b, ISO_8859_1))));
  }

  public static Arbitrary<byte[]> bytes(int min, int max) {
    return Arbitraries.bytes().array(byte[].class).ofMinSize(min).ofMaxSize(max);
  }

  /** Binary keys and values: mostly short, any byte, CR/LF/NUL/quotes likely. */
  public static Arbitrary<byte[]> binaryArg() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, bytes(0, 12)),
        Tuple.of(3, Arbitraries.strings().withChars("ab\r\n\0\"' \\x{}$*:").ofMaxLength(8)
            .map(s -> s.getBytes(ISO_8859_1))),
        Tuple.of(2, Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(6)
            .map(s -> s.getBytes(ISO_8859_1))),
        Tuple.of(1, bytes(100, 2000)));
  }

  /** Every command name in Keyshard's table. */
  public static List<String> tableNames() {
    return CommandTable.standard().all().stream().map(CommandSpec::name).toList();
  }

  /** Command names: {@code names} (in any case), near misses, and random bytes. */
  public static Arbitrary<byte[]> commandName(List<String> names) {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.of(names).flatMap(HostileInput::anyCase)),
        Tuple.of(1, Arbitraries.of(names).map(n -> n + "x")),
        Tuple.of(2, Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10)),
        Tuple.of(1, bytes(0, 10).map(b -> new String(b, ISO_8859_1))))
        .map(s -> s.getBytes(ISO_8859_1));
  }

  private static Arbitrary<String> anyCase(String name) {
    return Arbitraries.integers().between(0, 2).map(c -> switch (c) {
      case 0 -> name;
      case 1 -> name.toUpperCase();
      default -> {
        StringBuilder sb = new StringBuilder(name);
        for (int i = 0; i < sb.length(); i += 2) sb.setCharAt(i, Character.toUpperCase(sb.charAt(i)));
        yield sb.toString();
      }
    });
  }

  /** A command named from the whole table or at random, with 0 to 6 arguments, as argv. */
  public static Arbitrary<byte[][]> command() {
    return command(tableNames());
  }

  public static Arbitrary<byte[][]> command(List<String> names) {
    return Combinators.combine(commandName(names), binaryArg().list().ofMaxSize(6))
        .as((name, args) -> {
          byte[][] argv = new byte[args.size() + 1][];
          argv[0] = name;
          for (int i = 0; i < args.size(); i++) argv[i + 1] = args.get(i);
          return argv;
        });
  }

  public static byte[] multibulk(byte[][] argv) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.writeBytes(("*" + argv.length + "\r\n").getBytes(ISO_8859_1));
    for (byte[] a : argv) {
      o.writeBytes(("$" + a.length + "\r\n").getBytes(ISO_8859_1));
      o.writeBytes(a);
      o.writeBytes("\r\n".getBytes(ISO_8859_1));
    }
    return o.toByteArray();
  }

  /** How a header or inline line ends: properly, with a bare LF or CR, or not at all. */
  public static Arbitrary<String> lineEnd() {
    return Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.just("\r\n")),
        Tuple.of(2, Arbitraries.of("\n", "\r", "", "\rx", "\r\r\n", "\0\r\n")));
  }

  /** One inline token: bare, "double quoted" with escapes, 'single quoted', or broken quoting. */
  public static Arbitrary<String> inlineToken() {
    Arbitrary<String> bare = Arbitraries.strings().withChars("abcPINGSETx019\\\0\u00ff")
        .ofMinLength(1).ofMaxLength(6);
    Arbitrary<String> escapes = Arbitraries.of("\\x41", "\\x4g", "\\xZZ", "\\n", "\\r", "\\t",
        "\\b", "\\a", "\\\"", "\\\\", "\\q", "\\", "'", "x", " ");
    Arbitrary<String> dq = escapes.list().ofMaxSize(4).map(l -> "\"" + String.join("", l) + "\"");
    Arbitrary<String> sq = Arbitraries.of("'a'", "'a\\'b'", "'\\''", "''", "'a\"b'", "'x\\n'");
    Arbitrary<String> broken = Arbitraries.of("\"", "'", "\"a", "'a", "\"a\"b", "'a'b", "a\"b\"",
        "\"\\\"", "\"a\\x4\"");
    return Arbitraries.frequencyOf(
        Tuple.of(6, bare), Tuple.of(3, dq), Tuple.of(2, sq), Tuple.of(1, broken));
  }

  /** Blanks between inline tokens: every C isspace char, not only the space. */
  public static Arbitrary<String> blanks() {
    return Arbitraries.strings().withChars(" \t\u000b\u000c\r").ofMinLength(1).ofMaxLength(3);
  }

  public static Arbitrary<byte[]> inlineLine(List<String> names) {
    Arbitrary<String> name = commandName(names).map(b -> new String(b, ISO_8859_1));
    return Combinators.combine(
            Arbitraries.oneOf(name, inlineToken()),
            Combinators.combine(blanks(), inlineToken()).as((b, t) -> b + t).list().ofMaxSize(5),
            Arbitraries.of("", " ", "  \t"),
            lineEnd())
        .as((first, rest, lead, end) ->
            (lead + first + String.join("", rest) + end).getBytes(ISO_8859_1));
  }

  /** One fragment of a stream; streams are a few fragments back to back. */
  public static Arbitrary<byte[]> fragment(List<String> names) {
    Arbitrary<byte[]> wellFormed = command(names).map(HostileInput::multibulk);
    Arbitrary<byte[]> mbulkHeader = Combinators.combine(numberText(), lineEnd())
        .as((n, e) -> ("*" + n + e).getBytes(ISO_8859_1));
    Arbitrary<byte[]> bulk = Combinators.combine(numberText(), lineEnd(), binaryArg(),
            Arbitraries.of("\r\n", "", "xx", "\n"))
        .as((n, e, payload, tail) -> concat(("$" + n + e).getBytes(ISO_8859_1), payload,
            tail.getBytes(ISO_8859_1)));
    // An array element that is not a bulk string: an integer, a simple string, a nested array...
    Arbitrary<byte[]> notBulk = Combinators.combine(
            Arbitraries.of(":", "+", "-", "*", "%", "#", "_", "x", "\r", "\n", " ", "\0", "\u00ff"),
            Arbitraries.strings().withChars("0123OK").ofMaxLength(3), lineEnd())
        .as((type, body, e) -> (type + body + e).getBytes(ISO_8859_1));
    Arbitrary<byte[]> arrayWithBadElement = Combinators.combine(
            Arbitraries.integers().between(1, 4), notBulk, binaryArg())
        .as((n, bad, arg) -> concat(("*" + n + "\r\n").getBytes(ISO_8859_1),
            multibulkElement(arg), bad));
    Arbitrary<String> blankLines = Arbitraries.of("\r\n", "\n", " \r\n", "\t\n", "\u000b\n");
    return Arbitraries.frequencyOf(
        Tuple.of(5, wellFormed),
        Tuple.of(4, inlineLine(names)),
        Tuple.of(3, mbulkHeader),
        Tuple.of(3, bulk),
        Tuple.of(3, arrayWithBadElement),
        Tuple.of(2, notBulk),
        Tuple.of(1, blankLines.map(s -> s.getBytes(ISO_8859_1))),
        Tuple.of(2, bytes(1, 40)));
  }

  private static byte[] multibulkElement(byte[] arg) {
    return concat(("$" + arg.length + "\r\n").getBytes(ISO_8859_1), arg,
        "\r\n".getBytes(ISO_8859_1));
  }

  /** A stream of commands from the whole table: see {@link #stream(List)}. */
  public static Arbitrary<byte[]> stream() {
    return stream(tableNames());
  }

  /**
   * A stream: one to eight fragments back to back, now and then ending in a 70 KB line; the
   * commands in it are named from {@code names} or at random.
   */
  public static Arbitrary<byte[]> stream(List<String> names) {
    Arbitrary<byte[]> body = fragment(names).list().ofMinSize(1).ofMaxSize(8)
        .map(l -> concat(l.toArray(new byte[0][])));
    Arbitrary<byte[]> tooLong = Arbitraries.of("", "*", "*1\r\n$", "PING ")
        .map(p -> concat(p.getBytes(ISO_8859_1), "7".repeat(70_000).getBytes(ISO_8859_1)));
    return Arbitraries.frequencyOf(
        Tuple.of(200, body),
        Tuple.of(1, Combinators.combine(body, tooLong).as(HostileInput::concat)));
  }

  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (byte[] p : parts) o.writeBytes(p);
    return o.toByteArray();
  }
}
