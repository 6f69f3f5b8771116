package io.keyshard.node.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal RESP client for tests that compare replies byte-exactly: it sends commands and
 * returns each reply as a readable tree (type prefix kept, so a RESP3 map differs from an
 * array and an error from a string). Also sends raw bytes for protocol tests.
 */
public final class RawClient implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public RawClient(int port) throws IOException {
    this("127.0.0.1", port);
  }

  public RawClient(String host, int port) throws IOException {
    socket = new Socket(host, port);
    socket.setSoTimeout(20_000);
    socket.setTcpNoDelay(true);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Sends one command and returns its reply rendered as text (see {@link #readReply}). */
  public String call(String... args) throws IOException {
    byte[][] argv = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      argv[i] = args[i].getBytes(StandardCharsets.UTF_8);
    }
    return call(argv);
  }

  public String call(byte[]... argv) throws IOException {
    send(argv);
    return readReply();
  }

  public void send(byte[]... argv) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(('*' + Integer.toString(argv.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (byte[] a : argv) {
      b.write(('$' + Integer.toString(a.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      b.write(a);
      b.write('\r');
      b.write('\n');
    }
    out.write(b.toByteArray());
    out.flush();
  }

  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /**
   * Reads one reply: simple "+OK", error "-ERR ...", integer ":1", bulk as its text in quotes
   * ("\"bar\""), null "(nil)", arrays "[a, b]", RESP3 maps "{k=v}", sets "~[..]", doubles ",1.5",
   * booleans "#t", verbatim "=txt:...", RESP3 null "_".
   */
  public String readReply() throws IOException {
    int type = in.read();
    if (type < 0) {
      return "(closed)";
    }
    String line = readLine();
    switch (type) {
      case '+':
        return "+" + line;
      case '-':
        return "-" + line;
      case ':':
        return ":" + line;
      case ',':
        return "," + line;
      case '#':
        return "#" + line;
      case '_':
        return "_";
      case '$':
      case '=': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return "(nil)";
        }
        byte[] data = in.readNBytes(n);
        readLine();
        String s = new String(data, StandardCharsets.UTF_8);
        return type == '$' ? '"' + s + '"' : "=" + s;
      }
      case '*':
      case '~':
      case '>': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return "(nil-array)";
        }
        List<String> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          items.add(readReply());
        }
        String prefix = type == '*' ? "" : type == '~' ? "~" : ">";
        return prefix + items;
      }
      case '%': {
        int n = Integer.parseInt(line);
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
          if (i > 0) {
            sb.append(", ");
          }
          sb.append(readReply()).append('=').append(readReply());
        }
        return sb.append('}').toString();
      }
      default:
        throw new IOException("Unexpected reply type '" + (char) type + "' " + line);
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\r') {
        int n = in.read();
        if (n == '\n') {
          break;
        }
        b.write(c);
        if (n < 0) {
          break;
        }
        b.write(n);
        continue;
      }
      b.write(c);
    }
    return b.toString(StandardCharsets.UTF_8);
  }

  /** How long a read waits before it fails with SocketTimeoutException (20 s by default). */
  public void setReadTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  /** True when the server has closed the connection (reads EOF within the timeout). */
  public boolean isClosedByServer() throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
