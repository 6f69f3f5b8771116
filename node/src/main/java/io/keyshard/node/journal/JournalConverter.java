package io.keyshard.node.journal;

import io.keyshard.persistence.rocks.RawRecords;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Copies one journal into another, record by record: the same persistence ids, sequence
 * numbers, payload bytes and times, then the highest sequence numbers (which outlive deleted
 * events and fence a second writer). Refuses a target that holds anything.
 */
public final class JournalConverter {
  private JournalConverter() {}

  /** Progress is reported every this many events. */
  static final int REPORT_EVERY = 10_000;

  /** Returns the number of events copied. */
  static long convert(JournalStore from, JournalStore to, Consumer<String> progress) throws Exception {
    if (!to.isEmpty()) {
      throw new IllegalStateException(
          to.describe() + " is not empty: a conversion writes only into an empty journal");
    }
    progress.accept("Converting " + from.describe() + " into " + to.describe());
    long[] counts = new long[2];
    Map<String, Long> highest =
        from.readAll(
            new JournalStore.Sink() {
              @Override
              public void events(List<RawRecords.Event> events) throws Exception {
                to.writeEvents(events);
                long before = counts[0];
                counts[0] += events.size();
                if (counts[0] / REPORT_EVERY != before / REPORT_EVERY) {
                  progress.accept("... " + counts[0] + " events converted");
                }
              }

              @Override
              public void snapshots(List<RawRecords.Snapshot> snapshots) throws Exception {
                to.writeSnapshots(snapshots);
                counts[1] += snapshots.size();
              }
            });
    to.writeHighest(highest);
    progress.accept(
        "Converted " + counts[0] + " events and " + counts[1] + " snapshots of " + highest.size()
            + " persistence ids");
    return counts[0];
  }
}
