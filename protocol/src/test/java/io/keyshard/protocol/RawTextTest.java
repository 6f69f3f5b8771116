package io.keyshard.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RawTextTest {

  @Test
  void everyByteComesBackAsItself() {
    byte[] all = new byte[256];
    for (int i = 0; i < 256; i++) all[i] = (byte) i;
    assertArrayEquals(all, RawText.toBytes(RawText.fromBytes(all)));
  }

  @Test
  void realTextIsUtf8AroundEscapedBytes() {
    String text = "é" + RawText.of((byte) 0xff) + "\uD800\uDC80" + "x";
    byte[] want = new byte[] {(byte) 0xC3, (byte) 0xA9, (byte) 0xFF,
        (byte) 0xF0, (byte) 0x90, (byte) 0x82, (byte) 0x80, 'x'};
    assertArrayEquals(want, RawText.toBytes(text));
    assertArrayEquals("plain".getBytes(UTF_8), RawText.toBytes("plain"));
  }

  /** Found by the network fuzz test: Redis echoes a non-UTF-8 argument byte for byte. */
  @Test
  void unknownCommandEchoesBinaryArgumentsExactly() {
    byte[][] argv = {"pingx".getBytes(UTF_8), new byte[] {(byte) 0xff, 'a'}};
    byte[] wire = RespWriter.encode(CommandTable.standard().check(argv), 2);
    byte[] want = RespDecoderTest.concat(
        "-ERR unknown command 'pingx', with args beginning with: '".getBytes(UTF_8),
        new byte[] {(byte) 0xff, 'a'}, "' \r\n".getBytes(UTF_8));
    assertArrayEquals(want, wire);
  }

  @Test
  void protocolErrorEchoesTheByteExactly() {
    java.util.List<Decoded> out = new java.util.ArrayList<>();
    byte[] in = {'*', '1', '\r', '\n', (byte) 0xfe, '\r', '\n'};
    new RespDecoder(new DecoderLimits()).feed(in, 0, in.length, out);
    Decoded.ProtocolError e = (Decoded.ProtocolError) out.get(0);
    byte[] wire = RespWriter.encode(Reply.error(e.text()), 2);
    assertEquals("-ERR Protocol error: expected '$', got '\u00fe'\r\n",
        new String(wire, java.nio.charset.StandardCharsets.ISO_8859_1));
  }
}
