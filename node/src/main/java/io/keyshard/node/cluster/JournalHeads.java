package io.keyshard.node.cluster;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The highest sequence number of each slot a node has just gained, read for all of them in one
 * query, so that their recoveries do not each ask the journal for it ({@link WarmJournal}). With
 * a replica's warm state as the snapshot, a slot whose warm state is at its head then recovers
 * with no journal query at all; the others replay only their tail.
 *
 * <p>Read when the table gives this node slots: their previous owner has stopped writing them by
 * then (it handed them off, or it was downed and had fenced itself). A head is used once,
 * by the first recovery of its slot, and only within {@link #FRESH_MS}: a later recovery (a
 * restart after a journal failure, say) asks the journal as usual.
 */
final class JournalHeads {
  static final long FRESH_MS = 30_000;

  private record Head(long seq, long readAt) {}

  /** Per node (one per {@link Mirror}): nodes in one JVM (tests) share persistence ids. */
  private final Map<String, Head> heads = new ConcurrentHashMap<>();

  /**
   * Reads the heads of {@code slots} (on {@code executor}: it blocks on the database) and keeps
   * them for the slots' recoveries; answers the slots that have events in the journal.
   */
  CompletableFuture<List<Integer>> prefetch(
      String url, String user, String password, List<Integer> slots, Executor executor) {
    return CompletableFuture.supplyAsync(
        () -> {
          List<Integer> nonEmpty = new ArrayList<>();
          String[] ids = new String[slots.size()];
          for (int i = 0; i < ids.length; i++) {
            ids[i] = "slot-" + slots.get(i);
          }
          try (Connection c = DriverManager.getConnection(url, user, password);
              PreparedStatement st =
                  c.prepareStatement(
                      "SELECT persistence_id, MAX(sequence_number) FROM event_journal"
                          + " WHERE persistence_id = ANY(?) GROUP BY persistence_id")) {
            Array array = c.createArrayOf("varchar", ids);
            st.setArray(1, array);
            long now = System.currentTimeMillis();
            try (ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                String id = rs.getString(1);
                heads.put(id, new Head(rs.getLong(2), now));
                nonEmpty.add(Integer.parseInt(id.substring("slot-".length())));
              }
            }
          } catch (java.sql.SQLException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
          return nonEmpty;
        },
        executor);
  }

  /** The head read for {@code persistenceId} by the last prefetch, once, if still fresh. */
  Long take(String persistenceId) {
    Head h = heads.remove(persistenceId);
    if (h == null || System.currentTimeMillis() - h.readAt() > FRESH_MS) {
      return null;
    }
    return h.seq();
  }
}
