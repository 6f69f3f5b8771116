package io.keyshard.node.server;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * TLS for client connections, with Redis 7.0's settings: {@code tls-port} (0 = no TLS listener),
 * {@code tls-cert-file}, {@code tls-key-file} (and {@code tls-key-file-pass}), {@code
 * tls-ca-cert-file}, {@code tls-auth-clients} and {@code tls-protocols}. See
 * docs/decisions/2026-11-22-tls.md.
 */
public record TlsSettings(
    int port,
    Path certFile,
    Path keyFile,
    String keyFilePass,
    Path caCertFile,
    AuthClients authClients,
    List<String> protocols) {

  /** Redis's tls-auth-clients: whether a client must (yes), may (optional) or need not send a certificate. */
  public enum AuthClients {
    YES,
    NO,
    OPTIONAL;

    static AuthClients parse(String v) {
      return switch (v.toLowerCase(Locale.ROOT)) {
        case "yes", "true", "on" -> YES;
        case "no", "false", "off" -> NO;
        case "optional" -> OPTIONAL;
        default ->
            throw new IllegalArgumentException(
                "keyshard.tls-auth-clients must be yes, no or optional, not '" + v + "'");
      };
    }

    /** As Redis's CONFIG GET writes it. */
    public String redisName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Reads the {@code tls-*} keys of the {@code keyshard} block. */
  public static TlsSettings from(Config c) {
    String protocols = c.getString("tls-protocols").trim();
    return new TlsSettings(
        c.getInt("tls-port"),
        path(c.getString("tls-cert-file")),
        path(c.getString("tls-key-file")),
        c.getString("tls-key-file-pass"),
        path(c.getString("tls-ca-cert-file")),
        AuthClients.parse(c.getString("tls-auth-clients")),
        protocols.isEmpty() ? List.of() : List.of(protocols.split("\\s+")));
  }

  private static Path path(String s) {
    return s.isEmpty() ? null : Path.of(s).toAbsolutePath().normalize();
  }

  public boolean enabled() {
    return port != 0;
  }
}
