package io.keyshard.node.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A RESP2 client that keeps bulk strings as bytes (DUMP payloads are binary): replies come back
 * as byte[] (bulk), null (nil), Long (integer), List (array), or String for status ("+OK") and
 * error ("-ERR ...") replies. Arguments given as strings are sent one byte per char (ISO 8859-1).
 */
public final class BinaryClient implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public BinaryClient(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(120_000);
    socket.setTcpNoDelay(true);
    in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
  }

  public static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  public Object call(Object... args) throws IOException {
    out.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (Object a : args) {
      byte[] v = a instanceof byte[] bytes ? bytes : b(String.valueOf(a));
      out.write(('$' + Integer.toString(v.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(v);
      out.write('\r');
      out.write('\n');
    }
    out.flush();
    return read();
  }

  /** A reply as text: bulk bytes escaped, arrays in brackets; for comparing two servers. */
  public String text(Object... args) throws IOException {
    return show(call(args));
  }

  private static final String HEX = "0123456789abcdef";

  public static String show(Object reply) {
    if (reply == null) {
      return "(nil)";
    }
    if (reply instanceof byte[] bytes) {
      StringBuilder sb = new StringBuilder("\"");
      for (byte x : bytes) {
        int c = x & 0xff;
        if (c >= 0x20 && c < 0x7f && c != '\\') {
          sb.append((char) c);
        } else {
          sb.append("\\x").append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 15));
        }
      }
      return sb.append('"').toString();
    }
    if (reply instanceof List<?> list) {
      List<String> items = new ArrayList<>();
      list.forEach(i -> items.add(show(i)));
      return items.toString();
    }
    return reply.toString();
  }

  private Object read() throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new IOException("connection closed");
    }
    String line = line();
    switch (type) {
      case '+':
        return "+" + line;
      case '-':
        return "-" + line;
      case ':':
        return Long.parseLong(line);
      case '$': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        byte[] data = in.readNBytes(n);
        in.readNBytes(2);
        return data;
      }
      case '*': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        List<Object> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          items.add(read());
        }
        return items;
      }
      default:
        throw new IOException("unexpected reply type " + (char) type);
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0 && c != '\r') {
      b.write(c);
    }
    in.read(); // \n
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
