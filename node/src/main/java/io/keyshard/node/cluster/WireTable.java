package io.keyshard.node.cluster;

import io.keyshard.node.CborSerializable;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.SlotTableEvent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The slot table as it crosses the cluster bus (the push to every view, Distributed Data's
 * register): its stored form, gzipped. The table keeps one assignment per distinct slot epoch,
 * and every SETSLOT NODE gives its slot a new one, so after about 3,500 slots moved one by one
 * (redis-cli --cluster reshard, rebalance) the plain message outgrew Artery's 256 KiB frame and
 * every later change was dropped on its way to the other nodes, failovers included
 * (docs/decisions/2026-12-06-slot-migration-protocol.md). Compressed, a table of 16,384 slots
 * each with its own epoch stays far below the frame (WireTableTest).
 */
public record WireTable(long epoch, byte[] gzip) implements CborSerializable {
  private static final KeyshardSerializer FORMAT = new KeyshardSerializer();
  private static final String MANIFEST = FORMAT.manifest(new SlotTableEvent.TableSnapshot(List.of(), List.of(), 0));

  public static WireTable of(SlotTableEvent.TableSnapshot table) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(FORMAT.toBinary(table));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new WireTable(table.epoch(), out.toByteArray());
  }

  public SlotTableEvent.TableSnapshot table() {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
      return (SlotTableEvent.TableSnapshot) FORMAT.fromBinary(in.readAllBytes(), MANIFEST);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
