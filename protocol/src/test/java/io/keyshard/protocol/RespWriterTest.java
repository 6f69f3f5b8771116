package io.keyshard.protocol;

import static io.keyshard.protocol.RespDecoderTest.b;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RespWriterTest {

  private static void assertWire(String resp2, String resp3, Reply r) {
    assertEquals(resp2, new String(RespWriter.encode(r, 2), ISO_8859_1), "RESP2 " + r);
    assertEquals(resp3, new String(RespWriter.encode(r, 3), ISO_8859_1), "RESP3 " + r);
  }

  @Test
  void simple() {
    assertWire("+OK\r\n", "+OK\r\n", Reply.OK);
    assertWire("+\r\n", "+\r\n", Reply.simple(""));
  }

  @Test
  void error() {
    assertWire("-ERR syntax error\r\n", "-ERR syntax error\r\n", Err.SYNTAX);
    assertWire("-MOVED 3999 127.0.0.1:6381\r\n", "-MOVED 3999 127.0.0.1:6381\r\n",
        Reply.error("MOVED 3999 127.0.0.1:6381"));
  }

  @Test
  void lineBreaksInStatusAndErrorAreTrimmedOrBecomeSpaces() {
    assertWire("-ERR a  b\r\n", "-ERR a  b\r\n", Reply.error("ERR a\r\nb"));
    assertWire("+a b\r\n", "+a b\r\n", Reply.simple("a\nb"));
    assertWire("-ERR x\r\n", "-ERR x\r\n", Reply.error("ERR x\r\n"));
  }

  @Test
  void statusTextIsUtf8() {
    assertArrayEquals(new byte[] {'+', (byte) 0xC3, (byte) 0xA9, '\r', '\n'},
        RespWriter.encode(Reply.simple("\u00e9"), 2));
  }

  @Test
  void integer() {
    assertWire(":0\r\n", ":0\r\n", Reply.ZERO);
    assertWire(":-42\r\n", ":-42\r\n", Reply.integer(-42));
    assertWire(":9223372036854775807\r\n", ":9223372036854775807\r\n",
        Reply.integer(Long.MAX_VALUE));
    assertWire(":-9223372036854775808\r\n", ":-9223372036854775808\r\n",
        Reply.integer(Long.MIN_VALUE));
  }

  @Test
  void bulk() {
    assertWire("$3\r\nfoo\r\n", "$3\r\nfoo\r\n", Reply.bulk("foo"));
    assertWire("$0\r\n\r\n", "$0\r\n\r\n", Reply.bulk(new byte[0]));
    assertWire("$4\r\n\0\r\n\u00ff\r\n", "$4\r\n\0\r\n\u00ff\r\n", Reply.bulk(b("\0\r\n\u00ff")));
  }

  @Test
  void nulls() {
    assertWire("$-1\r\n", "_\r\n", Reply.NULL);
    assertWire("*-1\r\n", "_\r\n", Reply.NULL_ARRAY);
  }

  @Test
  void array() {
    assertWire("*0\r\n", "*0\r\n", Reply.EMPTY_ARRAY);
    assertWire("*3\r\n:1\r\n$1\r\na\r\n*1\r\n$-1\r\n", "*3\r\n:1\r\n$1\r\na\r\n*1\r\n_\r\n",
        Reply.array(List.of(Reply.ONE, Reply.bulk("a"), Reply.array(List.of(Reply.NULL)))));
  }

  @Test
  void map() {
    Reply m = new Reply.Map(List.of(Reply.bulk("a"), Reply.ONE, Reply.bulk("b"),
        new Reply.Double(1.5)));
    assertWire("*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$3\r\n1.5\r\n",
        "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n,1.5\r\n", m);
    assertWire("*0\r\n", "%0\r\n", new Reply.Map(List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> RespWriter.encode(new Reply.Map(List.of(Reply.ONE)), 3));
  }

  @Test
  void set() {
    assertWire("*2\r\n$1\r\nx\r\n$1\r\ny\r\n", "~2\r\n$1\r\nx\r\n$1\r\ny\r\n",
        new Reply.Set(List.of(Reply.bulk("x"), Reply.bulk("y"))));
  }

  @Test
  void push() {
    assertWire("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        new Reply.Push(List.of(Reply.bulk("message"), Reply.bulk("ch"), Reply.bulk("hi"))));
  }

  @Test
  void doubles() {
    assertWire("$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n",
        new Reply.Double(0.1));
    assertWire("$1\r\n1\r\n", ",1\r\n", new Reply.Double(1));
    assertWire("$3\r\ninf\r\n", ",inf\r\n", new Reply.Double(Double.POSITIVE_INFINITY));
    assertWire("$4\r\n-inf\r\n", ",-inf\r\n", new Reply.Double(Double.NEGATIVE_INFINITY));
    assertWire("$3\r\nnan\r\n", ",nan\r\n", new Reply.Double(Double.NaN));
  }

  @Test
  void bool() {
    assertWire(":1\r\n", "#t\r\n", new Reply.Bool(true));
    assertWire(":0\r\n", "#f\r\n", new Reply.Bool(false));
  }

  @Test
  void verbatim() {
    assertWire("$5\r\nhello\r\n", "=9\r\ntxt:hello\r\n", new Reply.Verbatim("txt", b("hello")));
    assertWire("$2\r\n# \r\n", "=6\r\nmd :# \r\n", new Reply.Verbatim("md", b("# ")));
    assertWire("$0\r\n\r\n", "=4\r\nmar:\r\n", new Reply.Verbatim("markdown", b("")));
  }

  @Test
  void raw() {
    assertWire("+QUEUED\r\n:1\r\n", "+QUEUED\r\n:1\r\n", new Reply.Raw(b("+QUEUED\r\n:1\r\n")));
  }

  @Test
  void writesIntoAGivenSinkAndRejectsUnknownProtocols() {
    ByteSink sink = new ByteSink(1);
    RespWriter.write(Reply.OK, 2, sink);
    RespWriter.write(Reply.bulk("x".repeat(1000)), 3, sink);
    assertEquals(5 + 1000 + 9, sink.size());
    assertEquals("+OK\r\n$1000\r\n", new String(sink.toByteArray(), 0, 12, ISO_8859_1));
    assertThrows(IllegalArgumentException.class, () -> RespWriter.encode(Reply.OK, 1));
  }

  /** Expected values printed by glibc's printf("%.17g"), which Redis 7.0 uses. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "0.1|0.10000000000000001",
      "1|1",
      "-1|-1",
      "0|0",
      "-0.0|-0",
      "1.5|1.5",
      "100|100",
      "3.14|3.1400000000000001",
      "1e16|10000000000000000",
      "1e17|1e+17",
      "1.2345e17|1.2345e+17",
      "123456789012345678|1.2345678901234568e+17",
      "99999999999999999|1e+17",
      "9007199254740993|9007199254740992",
      "0.0001|0.0001",
      "0.00012345|0.00012344999999999999",
      "0.00001|1.0000000000000001e-05",
      "1e-300|1e-300",
      "4.9e-324|4.9406564584124654e-324",
      "1.7976931348623157e308|1.7976931348623157e+308",
      "-2.5e-7|-2.4999999999999999e-07",
      "123.456|123.456",
      "0.3|0.29999999999999999",
      "1e100|1e+100"})
  void formatsDoublesLikePercent17g(double d, String expected) {
    assertEquals(expected, RespWriter.formatDouble(d));
  }

  /** Expected values printed by a C program doing strtold then ld2string's human mode. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "10.6|10.6",
      "3000|3000",
      "3.0e3|3000",
      "0|0",
      "-0|0",
      "-0.000000000000000001|0",
      "1e-17|0.00000000000000001",
      "5e-18|0",
      "1.5|1.5",
      "-7.25|-7.25",
      "0.1|0.1",
      "0.30000000000000004|0.30000000000000004",
      "123456789.123456789|123456789.12345678899873747",
      "1e20|100000000000000000000",
      "1e30|1000000000000000000024696061952",
      "1.00000000000000000000001|1"})
  void formatsLongDoublesLikeLdToStringHuman(String value, String expected) {
    assertEquals(expected, RespWriter.formatLongDouble(new BigDecimal(value)));
  }
}
