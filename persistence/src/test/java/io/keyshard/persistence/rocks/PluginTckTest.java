package io.keyshard.persistence.rocks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;
import org.apache.pekko.persistence.japi.snapshot.JavaSnapshotStoreSpec;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Pekko's own plugin test kit (JournalSpec, SnapshotStoreSpec) against the RocksDB plugins. */
class PluginTckTest {

  static Config pluginConfig(Path dir) {
    return ConfigFactory.parseMap(Map.of(
            "pekko.persistence.journal.plugin", "keyshard-rocksdb.journal",
            "pekko.persistence.snapshot-store.plugin", "keyshard-rocksdb.snapshot-store",
            "keyshard-rocksdb.dir", dir.toString()))
        .withFallback(ConfigFactory.load());
  }

  static final class Journal extends JavaJournalSpec {
    Journal(Path dir) {
      super(pluginConfig(dir));
    }

    @Override
    public CapabilityFlag supportsRejectingNonSerializableObjects() {
      return CapabilityFlag.on();
    }

    @Override
    public CapabilityFlag supportsSerialization() {
      return CapabilityFlag.on();
    }

    @Override
    public CapabilityFlag supportsMetadata() {
      return CapabilityFlag.on();
    }
  }

  static final class Snapshots extends JavaSnapshotStoreSpec {
    Snapshots(Path dir) {
      super(pluginConfig(dir));
    }

    @Override
    public CapabilityFlag supportsSerialization() {
      return CapabilityFlag.on();
    }
  }

  @TestFactory
  List<DynamicTest> journalSpec() {
    Path dir = TempDirs.create("rocks-journal-tck");
    try {
      return ScalaTestSuites.run(new Journal(dir));
    } finally {
      TempDirs.delete(dir);
    }
  }

  @TestFactory
  List<DynamicTest> snapshotStoreSpec() {
    Path dir = TempDirs.create("rocks-snapshot-tck");
    try {
      return ScalaTestSuites.run(new Snapshots(dir));
    } finally {
      TempDirs.delete(dir);
    }
  }
}
