package io.keyshard.protocol;

import java.util.Arrays;

/** What {@link RespDecoder} produces: a request to run, or the error that ends the connection. */
public sealed interface Decoded permits Decoded.Request, Decoded.ProtocolError {

  /** One client request; {@code argv.length >= 1}. The arrays are owned by the receiver. */
  record Request(byte[][] argv) implements Decoded {
    // Records compare arrays by identity; requests are compared by content in tests and logs.
    @Override
    public boolean equals(Object o) {
      return o instanceof Request r && Arrays.deepEquals(argv, r.argv);
    }

    @Override
    public int hashCode() {
      return Arrays.deepHashCode(argv);
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder("Request[");
      for (int i = 0; i < argv.length; i++) {
        if (i > 0) sb.append(' ');
        sb.append('"');
        for (byte b : argv[i]) {
          int c = b & 0xFF;
          if (c == '"' || c == '\\') sb.append('\\').append((char) c);
          else if (c >= 0x20 && c < 0x7F) sb.append((char) c);
          else sb.append(String.format("\\x%02x", c));
        }
        sb.append('"');
      }
      return sb.append(']').toString();
    }
  }

  /**
   * The error Redis sends before closing, without the leading '-', e.g. {@code "ERR Protocol
   * error: invalid bulk length"}. A byte echoed into the text (the {@code got 'c'} case) is
   * that byte as {@link RawText} holds it, so RespWriter reproduces Redis byte for byte.
   */
  record ProtocolError(String text) implements Decoded {}
}
