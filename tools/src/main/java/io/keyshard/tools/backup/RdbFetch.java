package io.keyshard.tools.backup;

import io.keyshard.tools.Address;
import io.keyshard.tools.ToolException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLSocketFactory;

/**
 * One node's consistent cut as an RDB file, the way `redis-cli --rdb` asks for it: REPLCONF
 * rdb-only 1, then SYNC, then the file as a bulk transfer ({@code $<length>}, then the bytes).
 * A Keyshard node cuts its own slots as BGSAVE does (docs/decisions/2026-12-07-bgsave.md); a
 * redis-server 7.0 answers the same way from a fork.
 */
final class RdbFetch {
  private RdbFetch() {}

  /**
   * Writes the node's file to {@code file}; answers its length. {@code atMs} >= 0: the node's
   * slots as they were just before that instant, rebuilt from its journal (Keyshard only).
   */
  static long fetch(Address a, Path file, long atMs, LongConsumer received) throws ToolException, IOException {
    try (Socket s = open(a)) {
      s.setSoTimeout(600_000); // a large node's cut is encoded before the first byte is sent
      OutputStream out = s.getOutputStream();
      InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
      if (a.password() != null) {
        send(out, a.user() == null ? new String[] {"AUTH", a.password()} : new String[] {"AUTH", a.user(), a.password()});
        expectOk(a, in, "AUTH");
      }
      send(out, "REPLCONF", "rdb-only", "1");
      expectOk(a, in, "REPLCONF rdb-only");
      if (atMs >= 0) {
        send(out, "REPLCONF", "keyshard-at", Long.toString(atMs));
        String reply = line(in);
        if (!reply.startsWith("+")) {
          throw new ToolException(
              ToolException.REFUSED,
              a + " cannot cut at a past instant (a point-in-time backup needs a Keyshard node): "
                  + reply.replaceFirst("^-", ""));
        }
      }
      send(out, "SYNC");
      String header;
      do {
        header = line(in); // a server sends bare newlines while it prepares the file
      } while (header.isEmpty());
      if (header.startsWith("-")) {
        throw new ToolException(ToolException.REFUSED, a + " refused SYNC: " + header.substring(1));
      }
      if (!header.startsWith("$") || header.startsWith("$EOF:")) {
        throw new ToolException(ToolException.REFUSED, a + " answered SYNC with '" + header + "', not a file");
      }
      long length = Long.parseLong(header.substring(1));
      try (OutputStream f = Files.newOutputStream(file)) {
        byte[] buf = new byte[1 << 16];
        long left = length;
        while (left > 0) {
          int n = in.read(buf, 0, (int) Math.min(buf.length, left));
          if (n < 0) {
            throw new EOFException(a + " closed the transfer after " + (length - left) + " of " + length + " bytes");
          }
          f.write(buf, 0, n);
          left -= n;
          received.accept(length - left);
        }
      }
      return length;
    }
  }

  private static Socket open(Address a) throws IOException {
    Socket s = a.tls() ? SSLSocketFactory.getDefault().createSocket() : new Socket();
    s.connect(new InetSocketAddress(a.host(), a.port()), 10_000);
    return s;
  }

  private static void send(OutputStream out, String... args) throws IOException {
    StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
    for (String arg : args) {
      byte[] b = arg.getBytes(StandardCharsets.UTF_8);
      sb.append('$').append(b.length).append("\r\n").append(arg).append("\r\n");
    }
    out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void expectOk(Address a, InputStream in, String what) throws IOException, ToolException {
    String reply = line(in);
    if (!reply.startsWith("+")) {
      throw new ToolException(ToolException.REFUSED, a + " refused " + what + ": " + reply.replaceFirst("^-", ""));
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("the server closed the connection");
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.UTF_8);
  }
}
