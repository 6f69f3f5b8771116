package io.keyshard.node.testing;

import com.typesafe.config.ConfigFactory;
import io.keyshard.node.KeyshardNode;
import io.keyshard.node.NodeRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** A Keyshard node in this JVM on a free loopback port, with its journal in a temp directory. */
public final class TestNode implements AutoCloseable {
  private final NodeRunner runner;
  private final Path dir;

  private TestNode(NodeRunner runner, Path dir) {
    this.runner = runner;
    this.dir = dir;
  }

  public static TestNode start() throws Exception {
    return start(Files.createTempDirectory("keyshard-test"), Map.of());
  }

  /** Starts on {@code dir} (reuse it to restart over the same journal) with extra settings. */
  public static TestNode start(Path dir, Map<String, Object> settings) throws Exception {
    Map<String, Object> overrides = new HashMap<>(settings);
    overrides.put("keyshard.port", settings.getOrDefault("keyshard.port", 0));
    overrides.put("keyshard.dir", dir.toString());
    // As the server runs: a cluster node that is downed or RESET starts again in-process.
    return new TestNode(
        NodeRunner.start(KeyshardNode.loadConfig(ConfigFactory.parseMap(overrides), null)),
        dir);
  }

  public int port() {
    return runner.current().port();
  }

  public Path dir() {
    return dir;
  }

  /** The node's current incarnation. */
  public KeyshardNode node() {
    return runner.current();
  }

  @Override
  public void close() throws Exception {
    runner.close();
  }
}
