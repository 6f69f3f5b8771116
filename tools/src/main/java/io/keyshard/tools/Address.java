package io.keyshard.tools;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;

/**
 * Where a tool reads or writes: {@code redis[s]://[user:pass@]host:port[/db]} or plain
 * {@code host:port}, the form every Keyshard tool takes for --from, --to and --against.
 * {@code db} is null when the address names none.
 */
public record Address(String host, int port, String user, String password, Integer db, boolean tls) {

  public static Address parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("an address is empty");
    }
    if (!text.contains("://")) {
      int colon = text.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("address '" + text + "': expected host:port");
      }
      return new Address(text.substring(0, colon), port(text, text.substring(colon + 1)), null, null, null, false);
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("address '" + text + "': " + e.getMessage());
    }
    boolean tls;
    switch (String.valueOf(uri.getScheme()).toLowerCase()) {
      case "redis" -> tls = false;
      case "rediss" -> tls = true;
      default -> throw new IllegalArgumentException("address '" + text + "': the scheme is redis:// or rediss://");
    }
    if (uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException("address '" + text + "': expected host and port");
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String info = uri.getRawUserInfo();
      int colon = info.indexOf(':');
      if (colon < 0) {
        password = decode(info); // redis://secret@host:port: a password for the default user
      } else {
        user = colon == 0 ? null : decode(info.substring(0, colon));
        password = decode(info.substring(colon + 1));
      }
    }
    Integer db = null;
    String path = uri.getPath();
    if (path != null && !path.isEmpty() && !path.equals("/")) {
      try {
        db = Integer.parseInt(path.substring(1));
      } catch (NumberFormatException e) {
        db = -1;
      }
      if (db < 0 || db > 15) {
        throw new IllegalArgumentException("address '" + text + "': the database is a number from 0 to 15");
      }
    }
    return new Address(uri.getHost(), uri.getPort(), user, password, db, tls);
  }

  private static int port(String text, String port) {
    try {
      int p = Integer.parseInt(port);
      if (p > 0 && p < 65536) {
        return p;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException("address '" + text + "': '" + port + "' is not a port");
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /** The same credentials and TLS at another node (a cluster's nodes share them). */
  public Address at(String otherHost, int otherPort) {
    return new Address(otherHost, otherPort, user, password, db, tls);
  }

  public JedisClientConfig clientConfig() {
    return DefaultJedisClientConfig.builder()
        .user(user)
        .password(password)
        .ssl(tls)
        .socketTimeoutMillis(60_000)
        .connectionTimeoutMillis(10_000)
        .clientName("keyshard-tools")
        .build();
  }

  public Jedis connect() {
    return new Jedis(new HostAndPort(host, port), clientConfig());
  }

  /** host:port, for messages (never the password). */
  @Override
  public String toString() {
    return host + ":" + port;
  }
}
