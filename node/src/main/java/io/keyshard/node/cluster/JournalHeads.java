package io.keyshard.node.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * restart after a journal failure, say) asks the journal as usual. A recovery that starts while
 * the query runs waits for it (a takeover wakes the slots its mirror holds warm at once).
 */
final class JournalHeads {
  static final long FRESH_MS = 30_000;

  /** A slot's head once the query is done (null: no event in the journal), and when it was asked. */
  private record Head(CompletableFuture<Long> seq, long askedAt) {}

  /** Per node (one per {@link Mirror}): nodes in one JVM (tests) share persistence ids. */
  private final Map<String, Head> heads = new ConcurrentHashMap<>();

  /**
   * Reads the heads of {@code slots} (on {@code executor}: it blocks on the database) and keeps
   * them for the slots' recoveries; answers the slots that have events in the journal.
   */
  CompletableFuture<List<Integer>> prefetch(
      String url, String user, String password, List<Integer> slots, Executor executor) {
    long now = System.currentTimeMillis();
    Map<String, CompletableFuture<Long>> asked = new HashMap<>();
    for (int slot : slots) {
      CompletableFuture<Long> seq = new CompletableFuture<>();
      asked.put("slot-" + slot, seq);
      heads.put("slot-" + slot, new Head(seq, now));
    }
    return CompletableFuture.supplyAsync(
        () -> {
          List<Integer> nonEmpty = new ArrayList<>();
          try (Connection c = DriverManager.getConnection(url, user, password);
              PreparedStatement st =
                  c.prepareStatement(
                      "SELECT persistence_id, MAX(sequence_number) FROM event_journal"
                          + " WHERE persistence_id = ANY(?) GROUP BY persistence_id")) {
            st.setArray(1, c.createArrayOf("varchar", asked.keySet().toArray(new String[0])));
            try (ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                String id = rs.getString(1);
                asked.remove(id).complete(rs.getLong(2));
                nonEmpty.add(Integer.parseInt(id.substring("slot-".length())));
              }
            }
          } catch (SQLException e) {
            asked.values().forEach(seq -> seq.complete(null)); // each recovery asks the journal
            throw new CompletionException(e);
          }
          asked.values().forEach(seq -> seq.complete(null)); // no event: nothing to skip
          return nonEmpty;
        },
        executor);
  }

  /**
   * The head the last prefetch reads for {@code persistenceId} (null inside: ask the journal),
   * once, if still fresh; null if none was asked.
   */
  CompletableFuture<Long> take(String persistenceId) {
    Head h = heads.remove(persistenceId);
    if (h == null || System.currentTimeMillis() - h.askedAt() > FRESH_MS) {
      return null;
    }
    return h.seq();
  }
}
