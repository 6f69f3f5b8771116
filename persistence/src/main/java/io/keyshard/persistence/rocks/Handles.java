package io.keyshard.persistence.rocks;

import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/** An open database and its column families; replaced as a whole when the store reopens. */
record Handles(
    RocksDB db,
    ColumnFamilyHandle events,
    ColumnFamilyHandle highest,
    ColumnFamilyHandle snapshots,
    List<ColumnFamilyHandle> all) {

  void close() {
    for (ColumnFamilyHandle handle : all) {
      handle.close();
    }
    db.close();
  }
}
