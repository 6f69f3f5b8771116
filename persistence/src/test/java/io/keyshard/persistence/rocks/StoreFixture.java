package io.keyshard.persistence.rocks;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Direct access to a RocksStore for tests: writes and reads without an actor system. */
final class StoreFixture {
  private StoreFixture() {}

  static RocksSettings settings(Path dir, AppendFsync mode) {
    return new RocksSettings(dir, mode, 16L << 20, 8L << 20, 4096, Duration.ofMillis(200),
        Duration.ofMillis(50));
  }

  static CompletableFuture<Void> append(RocksStore store, String pid, long from, long to) {
    List<byte[]> values = new ArrayList<>();
    for (long seqNr = from; seqNr <= to; seqNr++) {
      values.add(value(pid, seqNr));
    }
    return store.write(
        new WriteOp.Append(List.of(new WriteOp.Events(pid, from, to, values))));
  }

  static byte[] value(String pid, long seqNr) {
    return (pid + "#" + seqNr).getBytes(StandardCharsets.UTF_8);
  }

  static List<String> events(RocksStore store, String pid) throws Exception {
    List<String> seen = new ArrayList<>();
    store.scanEvents(pid, 0, Long.MAX_VALUE, Long.MAX_VALUE,
        (seqNr, value) -> seen.add(seqNr + "=" + new String(value, StandardCharsets.UTF_8)));
    return seen;
  }
}
