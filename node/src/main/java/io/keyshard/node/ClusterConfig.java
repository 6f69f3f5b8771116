package io.keyshard.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.keyshard.node.cluster.WarmJournal;
import io.keyshard.node.cluster.WarmSnapshotStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * What cluster mode adds to the configuration before the actor system starts: Artery's address
 * and transport (TLS), the partition tests' switch, and the journal plugins that let a replica's
 * warm slots seed a takeover.
 */
final class ClusterConfig {
  private ClusterConfig() {}

  /** {@code c} with cluster mode's settings in front of it. */
  static Config derive(Config c) throws KeyStoreException {
    c = transport(c).withFallback(c);
    if (!c.getString("keyshard.testing.partition-file").isEmpty()) {
      // Partition tests: Artery's test mode lets TestPartition blackhole other nodes.
      c = ConfigFactory.parseMap(Map.of("pekko.remote.artery.advanced.test-mode", "on"))
          .withFallback(c);
    }
    // A replica's warm slots seed the snapshots its slot entities start from (takeover).
    return ConfigFactory.parseMap(
            Map.of(
                "jdbc-snapshot-store.class", WarmSnapshotStore.class.getName(),
                "jdbc-journal.class", WarmJournal.class.getName()))
        .withFallback(c);
  }

  /** The host other nodes and clients reach this node on. */
  static String announceHost(Config c) {
    String announce = c.getString("keyshard.cluster.announce-host");
    if (!announce.isEmpty()) {
      return announce;
    }
    String bind = c.getString("keyshard.bind");
    return bind.equals("0.0.0.0") || bind.equals("::") ? "127.0.0.1" : bind;
  }

  /** This node's cluster bus port (shown as @cport). */
  static int busPort(Config c) {
    return c.getInt("keyshard.port") + c.getInt("keyshard.cluster.bus-port-offset");
  }

  /**
   * Artery on the client port + bus-port-offset (Redis's cluster bus port, shown as @cport), on
   * the announced address.
   */
  private static Config transport(Config c) throws KeyStoreException {
    if (c.getInt("keyshard.port") == 0) {
      throw new IllegalArgumentException("cluster mode needs an explicit keyshard.port");
    }
    String host = announceHost(c);
    Config transport =
        ConfigFactory.empty()
            .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
            .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(busPort(c)));
    return c.getBoolean("keyshard.cluster.tls.enabled") ? tls(c).withFallback(transport) : transport;
  }

  /**
   * keyshard.cluster.tls: Artery over TLS with Pekko's ConfigSSLEngineProvider, mutual
   * authentication on unless turned off, so a node without a certificate the cluster trusts
   * cannot join. The stores are checked here, so a wrong path or password stops start-up.
   */
  private static Config tls(Config c) throws KeyStoreException {
    Config tls = c.getConfig("keyshard.cluster.tls");
    String keyStore = storePath(tls, "key-store");
    String trustStore = storePath(tls, "trust-store");
    String keyStorePassword = tls.getString("key-store-password");
    String keyPassword = tls.getString("key-password").isEmpty() ? keyStorePassword : tls.getString("key-password");
    String trustStorePassword = tls.getString("trust-store-password");
    KeyStore keys = loadStore(keyStore, keyStorePassword, "key-store");
    boolean hasKey = false;
    for (String alias : Collections.list(keys.aliases())) {
      hasKey |= keys.isKeyEntry(alias);
    }
    if (!hasKey) {
      throw new IllegalArgumentException("keyshard.cluster.tls.key-store " + keyStore + " holds no private key");
    }
    if (loadStore(trustStore, trustStorePassword, "trust-store").size() == 0) {
      throw new IllegalArgumentException("keyshard.cluster.tls.trust-store " + trustStore + " holds no certificate");
    }
    String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
    Map<String, Object> m = new HashMap<>();
    m.put("pekko.remote.artery.transport", "tls-tcp");
    m.put("pekko.remote.artery.ssl.ssl-engine-provider", "org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider");
    m.put(engine + "key-store", keyStore);
    m.put(engine + "key-store-password", keyStorePassword);
    m.put(engine + "key-password", keyPassword);
    m.put(engine + "trust-store", trustStore);
    m.put(engine + "trust-store-password", trustStorePassword);
    m.put(engine + "require-mutual-authentication", tls.getBoolean("require-mutual-authentication"));
    m.put(engine + "hostname-verification", tls.getBoolean("hostname-verification"));
    m.put(engine + "protocol", tls.getString("protocol"));
    return ConfigFactory.parseMap(m);
  }

  private static String storePath(Config tls, String key) {
    String path = tls.getString(key);
    if (path.isEmpty()) {
      throw new IllegalArgumentException("keyshard.cluster.tls is enabled: keyshard.cluster.tls." + key + " is needed");
    }
    return Path.of(path).toAbsolutePath().normalize().toString();
  }

  private static KeyStore loadStore(String path, String password, String key) {
    // PKCS12 reads JKS files too (the JDK's keystore.type.compat), as Pekko's provider does.
    try (InputStream in = Files.newInputStream(Path.of(path))) {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(in, password.toCharArray());
      return ks;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "keyshard.cluster.tls." + key + " " + path + " cannot be read (wrong path or password?): " + e.getMessage(), e);
    }
  }
}
