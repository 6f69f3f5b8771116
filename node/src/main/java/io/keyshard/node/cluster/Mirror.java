package io.keyshard.node.cluster;

import io.keyshard.node.commands.CommandRegistry;
import io.keyshard.node.slot.SlotCommand;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotSnapshot;
import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica's warm copy of its primary's slots (docs/decisions/2026-11-22-replicas.md): it
 * follows the shared journal (one query per tick, by the journal's global ordering) and applies
 * each slot's events in sequence-number order to its own {@link SlotState}. A slot whose next
 * event is missing (a transaction that committed late) is reloaded from its latest snapshot and
 * events. On takeover the new owner's slot entity starts from this state through
 * {@link WarmSnapshotStore} and replays only the journal's tail.
 */
public final class Mirror implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Mirror.class);
  private static final Map<ActorSystem, Mirror> BY_SYSTEM = new ConcurrentHashMap<>();

  /** A slot's warm state and the sequence number it is at. */
  private static final class Warm {
    SlotState state;
    long seq;
  }

  private final String url;
  private final String user;
  private final String password;
  private final ClusterView view;
  private final Serialization serialization;
  private final ActorSystem system;
  private final Thread thread;
  private final Map<Integer, Warm> slots = new HashMap<>(); // guarded by this
  private volatile boolean closed;
  private Connection connection;
  private volatile String following;
  private long position;
  private long primarySince;
  private volatile long applied;
  private volatile long handedOver;

  private Mirror(ActorSystem system, String url, String user, String password, ClusterView view) {
    this.system = system;
    this.url = url;
    this.user = user;
    this.password = password;
    this.view = view;
    this.serialization = SerializationExtension.get(system);
    this.thread = new Thread(this::run, "keyshard-replica-mirror");
    thread.setDaemon(true);
  }

  /**
   * Starts following the journal whenever the table makes this node a replica. {@code
   * onFirstFollow} (or null) runs once, when this node first follows a primary, with that
   * primary's slots (a takeover rehearsal). It is given here, before the mirror's thread starts:
   * set afterwards, it was missed when the node already was a replica at its first look.
   */
  public static Mirror start(
      ActorSystem system,
      String url,
      String user,
      String password,
      ClusterView view,
      BiConsumer<Mirror, List<Integer>> onFirstFollow) {
    Mirror m = new Mirror(system, url, user, password, view);
    m.onFirstFollow = onFirstFollow;
    BY_SYSTEM.put(system, m);
    m.thread.start();
    return m;
  }

  private volatile BiConsumer<Mirror, List<Integer>> onFirstFollow;

  /** Deletes the journal rows and snapshots of persistence ids starting with {@code prefix}. */
  public void deleteRows(String prefix) {
    try (Connection c = DriverManager.getConnection(url, user, password)) {
      for (String table : new String[] {"event_journal", "snapshot"}) {
        try (PreparedStatement st =
            c.prepareStatement("DELETE FROM " + table + " WHERE persistence_id LIKE ?")) {
          st.setString(1, prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
          st.executeUpdate();
        }
      }
    } catch (SQLException e) {
      log.warn("Could not delete the rows of {}*: {}", prefix, e.toString());
    }
  }

  /** The mirror of a node's actor system, if it runs one. */
  static Mirror of(ActorSystem system) {
    return BY_SYSTEM.get(system);
  }

  /**
   * READONLY: runs a read command on the warm copy of a slot of {@code primaryId}; null if this
   * node does not follow that primary (yet).
   */
  public synchronized Reply read(
      String primaryId, int slot, int db, String name, byte[][] argv) {
    if (!primaryId.equals(following)) {
      return null;
    }
    SlotCommand body = COMMANDS.get(name);
    if (body == null) {
      return null;
    }
    Warm w = slots.get(slot);
    SlotState state = w == null ? new SlotState() : w.state;
    try {
      return body.run(new SlotContext(state, db, argv, System.currentTimeMillis(), false));
    } catch (RedisException e) {
      return e.reply();
    }
  }

  private static final Map<String, SlotCommand> COMMANDS =
      CommandRegistry.keyedCommands().slotBodies();

  /**
   * Reads the journal heads of slots this node just gained, for their recoveries
   * ({@link JournalHeads}); answers those that have events.
   */
  public CompletableFuture<List<Integer>> gained(
      List<Integer> slots, Executor executor) {
    return heads.prefetch(url, user, password, slots, executor);
  }

  /**
   * A gained slot's head, for its first recovery ({@link WarmJournal}), once the query is done;
   * null (or null inside): ask the journal.
   */
  CompletableFuture<Long> takeHead(String persistenceId) {
    return heads.take(persistenceId);
  }

  private final JournalHeads heads = new JournalHeads();

  /** Whether this node's mirror follows primaryId now (it has loaded that primary's slots). */
  boolean follows(String primaryId) {
    return primaryId.equals(following);
  }

  /**
   * WAIT on a replica: whether the warm copy, following primaryId, has applied each slot's
   * events up to its sequence number (a slot not held warm has applied nothing).
   */
  synchronized boolean hasApplied(String primaryId, List<Integer> slotIds, List<Long> seqs) {
    if (!primaryId.equals(following)) {
      return false;
    }
    for (int i = 0; i < slotIds.size(); i++) {
      long needed = seqs.get(i);
      Warm w = slots.get(slotIds.get(i));
      if (needed > 0 && (w == null || w.seq < needed)) {
        return false;
      }
    }
    return true;
  }

  /**
   * WAIT on a primary: each slot's highest sequence number in the shared journal (its events
   * or, once they are trimmed, its snapshots); slots with neither are left out (nothing to apply).
   */
  public Map<Integer, Long> heads(List<Integer> slotIds) throws SQLException {
    Map<Integer, Long> heads = new HashMap<>();
    if (slotIds.isEmpty()) {
      return heads;
    }
    Object[] ids = slotIds.stream().map(s -> "slot-" + s).toArray();
    synchronized (this) {
      Connection c = checkConnection();
      for (String table : new String[] {"event_journal", "snapshot"}) {
        try (PreparedStatement st =
            c.prepareStatement(
                "SELECT persistence_id, MAX(sequence_number) FROM " + table
                    + " WHERE persistence_id = ANY(?) GROUP BY persistence_id")) {
          st.setArray(1, c.createArrayOf("varchar", ids));
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              heads.merge(slotOf(rs.getString(1)), rs.getLong(2), Math::max);
            }
          }
        }
      }
    }
    return heads;
  }

  /** The slots among {@code slots} whose warm state holds keys. */
  public synchronized List<Integer> warmAmong(List<Integer> slots) {
    List<Integer> out = new ArrayList<>();
    for (int slot : slots) {
      Warm w = this.slots.get(slot);
      if (w != null && !w.state.isEmpty()) {
        out.add(slot);
      }
    }
    return out;
  }

  /** Slots held warm now. */
  public synchronized int warmSlots() {
    return slots.size();
  }

  /** Events applied to warm state since start (loading a slot's events after its snapshot too). */
  public long appliedEvents() {
    return applied;
  }

  /** Slots handed to this node's entities as warm state (takeovers) since start. */
  public long handedOver() {
    return handedOver;
  }

  /**
   * Hands over a slot's warm state, as a snapshot at its sequence number, to a slot entity of
   * this node that starts it (a takeover); the mirror stops following that slot.
   */
  synchronized Optional<Map.Entry<Long, SlotSnapshot>> takeWarm(String persistenceId, long maxSeq) {
    Integer slot = slotOf(persistenceId);
    Warm w = slot == null ? null : slots.get(slot);
    if (w == null || w.seq > maxSeq || w.seq == 0) {
      return Optional.empty();
    }
    if (incoming.remove(slot) != null && !verified.remove(slot) && !stillCurrent(slot, w)) {
      slots.remove(slot);
      return Optional.empty();
    }
    slots.remove(slot);
    handedOver++;
    return Optional.of(Map.entry(w.seq, w.state.toSnapshot()));
  }

  // ---- Slots about to be moved here (CLUSTER MIGRATESLOTS): read ahead, checked at the switch ----

  /** How long a slot read ahead of its move waits for it (then it is dropped). */
  private static final long INCOMING_FOR_MS = 120_000;

  /** Slots read ahead of their move here, until when they are kept (guarded by this). */
  private final Map<Integer, Long> incoming = new HashMap<>();
  /** Slots read ahead whose warm state was checked against the journal after the switch. */
  private final Set<Integer> verified = new HashSet<>();
  private Connection checks; // guarded by this

  /**
   * Reads these slots (their newest snapshot and the events after it) into warm state while
   * their owner still serves them: once the table gives them to this node, their entities start
   * from that state and replay only the journal's tail ({@link WarmSnapshotStore}). Three queries
   * for the whole batch. Answers how many slots held data.
   */
  public int prewarm(List<Integer> batch) throws SQLException {
    long until = System.currentTimeMillis() + INCOMING_FOR_MS;
    String[] ids = batch.stream().map(s -> "slot-" + s).toArray(String[]::new);
    Map<Integer, Warm> read = new HashMap<>();
    Set<Integer> holed = new HashSet<>();
    long events = 0;
    try (Connection c = DriverManager.getConnection(url, user, password)) {
      try (PreparedStatement st =
          c.prepareStatement(
              "SELECT DISTINCT ON (persistence_id) persistence_id, sequence_number, snapshot_ser_id,"
                  + " snapshot_ser_manifest, snapshot_payload FROM snapshot WHERE persistence_id = ANY(?)"
                  + " ORDER BY persistence_id, sequence_number DESC")) {
        st.setArray(1, c.createArrayOf("varchar", ids));
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            Warm w = new Warm();
            w.seq = rs.getLong(2);
            Object snap = serialization.deserialize(rs.getBytes(5), rs.getInt(3), rs.getString(4)).get();
            w.state = SlotState.fromSnapshot((SlotSnapshot) snap, System.currentTimeMillis());
            read.put(slotOf(rs.getString(1)), w);
          }
        }
      }
      try (PreparedStatement st =
          c.prepareStatement(
              "SELECT persistence_id, sequence_number, event_ser_id, event_ser_manifest, event_payload"
                  + " FROM event_journal WHERE persistence_id = ANY(?) ORDER BY persistence_id, sequence_number")) {
        st.setArray(1, c.createArrayOf("varchar", ids));
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            int slot = slotOf(rs.getString(1));
            long seq = rs.getLong(2);
            Warm w = read.computeIfAbsent(slot, k -> {
              Warm fresh = new Warm();
              fresh.state = new SlotState();
              return fresh;
            });
            if (seq <= w.seq || holed.contains(slot)) {
              continue;
            }
            if (seq != w.seq + 1) {
              holed.add(slot); // a row not committed yet: the entity's replay reads the rest
              continue;
            }
            Object event = serialization.deserialize(rs.getBytes(5), rs.getInt(3), rs.getString(4)).get();
            w.state.apply((SlotEvent) event, System.currentTimeMillis());
            w.seq = seq;
            events++;
          }
        }
      }
    }
    int held = 0;
    synchronized (this) {
      for (Map.Entry<Integer, Warm> e : read.entrySet()) {
        if (e.getValue().seq > 0 && !view.owns(e.getKey())) {
          slots.put(e.getKey(), e.getValue());
          incoming.put(e.getKey(), until);
          verified.remove(e.getKey());
          held++;
        }
      }
      applied += events;
    }
    return held;
  }

  /**
   * After the switch: drops the slots read ahead whose warm state the journal no longer
   * continues. Their old owner may have snapshotted after the read and deleted the events the
   * replay would need (JournalTrim); a newer snapshot than the warm state says so. One query
   * for the batch; a slot an entity starts before it ran is checked alone in {@link #takeWarm}.
   */
  public CompletableFuture<Void> checkIncoming(List<Integer> gained, Executor executor) {
    List<Integer> candidates;
    synchronized (this) {
      candidates = gained.stream().filter(incoming::containsKey).toList();
    }
    if (candidates.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.runAsync(
        () -> {
          Map<Integer, Long> newest = new HashMap<>();
          // On the connection kept for checks (a new one costs more than the query).
          try {
            synchronized (this) {
              try (PreparedStatement st =
                  checkConnection()
                      .prepareStatement(
                          "SELECT persistence_id, MAX(sequence_number) FROM snapshot WHERE persistence_id = ANY(?)"
                              + " GROUP BY persistence_id")) {
                st.setArray(1, checks.createArrayOf("varchar", candidates.stream().map(s -> "slot-" + s).toArray()));
                try (ResultSet rs = st.executeQuery()) {
                  while (rs.next()) {
                    newest.put(slotOf(rs.getString(1)), rs.getLong(2));
                  }
                }
              }
            }
          } catch (SQLException e) {
            log.warn("Could not check the slots read ahead ({}): they recover from the journal", e.toString());
            synchronized (this) {
              candidates.forEach(slots::remove);
              candidates.forEach(incoming::remove);
            }
            return;
          }
          int stale = 0;
          synchronized (this) {
            for (int slot : candidates) {
              Warm w = slots.get(slot);
              if (w == null || !incoming.containsKey(slot)) {
                continue; // taken meanwhile (checked alone) or gone
              }
              if (newest.getOrDefault(slot, 0L) > w.seq) {
                slots.remove(slot);
                incoming.remove(slot);
                stale++;
              } else {
                verified.add(slot);
              }
            }
          }
          if (stale > 0) {
            log.info("{} of {} slots read ahead were snapshotted since by their old owner: they recover from the journal", stale, candidates.size());
          }
        },
        executor);
  }

  private synchronized Connection checkConnection() throws SQLException {
    if (checks == null || checks.isClosed()) {
      checks = DriverManager.getConnection(url, user, password);
    }
    return checks;
  }

  /** One slot read ahead, checked alone (see {@link #checkIncoming}); false: not usable. */
  private boolean stillCurrent(int slot, Warm w) {
    try {
      try (PreparedStatement st =
          checkConnection().prepareStatement("SELECT COALESCE(MAX(sequence_number), 0) FROM snapshot WHERE persistence_id = ?")) {
        st.setString(1, "slot-" + slot);
        try (ResultSet rs = st.executeQuery()) {
          return rs.next() && rs.getLong(1) <= w.seq;
        }
      }
    } catch (SQLException e) {
      log.warn("Could not check slot {} read ahead ({}): it recovers from the journal", slot, e.toString());
      return false;
    }
  }

  private void run() {
    while (!closed) {
      try {
        tick();
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (!closed) {
          log.warn("Replica mirror: {}; retrying", e.toString());
          closeConnection();
          sleepQuietly(1000);
        }
      }
    }
    closeConnection();
  }

  private void tick() throws Exception {
    ClusterView.Table t = view.table();
    String primary = t.primaryOf(view.myId());
    synchronized (this) {
      // Slots read ahead for a move that never came (a failed or cancelled job) are let go.
      long now = System.currentTimeMillis();
      for (Iterator<Map.Entry<Integer, Long>> it = incoming.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Integer, Long> e = it.next();
        if (e.getValue() < now) {
          it.remove();
          verified.remove(e.getKey());
          slots.remove(e.getKey()); // unchecked, it may no longer be continued by the journal
        }
      }
    }
    if (primary == null) {
      // A primary (again): nothing to follow. Slots it now owns stay warm a while, for the
      // takeover that is starting them (takeWarm); the others go.
      long now = System.currentTimeMillis();
      if (primarySince == 0) {
        primarySince = now;
      }
      synchronized (this) {
        if (now - primarySince > 60_000) {
          slots.keySet().removeIf(s -> !incoming.containsKey(s));
        } else {
          slots.keySet().removeIf(s -> !view.owns(s) && !incoming.containsKey(s));
        }
      }
      following = null;
      return;
    }
    primarySince = 0;
    Connection c = connection();
    if (!primary.equals(following)) {
      startFollowing(c, primary, t);
    }
    // New events, in the journal's global order; a row whose transaction commits late may be
    // seen after a later one: the sequence check catches it.
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT ordering, persistence_id, sequence_number, event_ser_id, event_ser_manifest,"
                + " event_payload FROM event_journal WHERE ordering > ? ORDER BY ordering LIMIT 2000")) {
      st.setLong(1, position);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          position = rs.getLong(1);
          Integer slot = slotOf(rs.getString(2));
          if (slot == null || !isPrimarys(view.table(), primary, slot)) {
            continue;
          }
          long seq = rs.getLong(3);
          Warm w;
          synchronized (this) {
            w = slots.get(slot);
          }
          if (w != null && seq <= w.seq) {
            continue;
          }
          if (w == null || seq != w.seq + 1) {
            load(c, slot); // first event of a new slot, or a gap: from its snapshot on
            continue;
          }
          Object event = serialization.deserialize(rs.getBytes(6), rs.getInt(4), rs.getString(5)).get();
          synchronized (this) {
            if (slots.get(slot) == w) {
              w.state.apply((SlotEvent) event, System.currentTimeMillis());
              w.seq = seq;
              applied++;
            }
          }
        }
      }
    }
    // Slots that left the primary are no longer followed.
    synchronized (this) {
      slots.keySet().removeIf(
          s -> !isPrimarys(view.table(), primary, s) && !view.owns(s) && !incoming.containsKey(s));
    }
  }

  private static boolean isPrimarys(ClusterView.Table t, String primary, int slot) {
    ClusterView.Node owner = t.owner(slot);
    return owner != null && owner.id().equals(primary);
  }

  /** Loads every slot of the new primary that holds data; then follows from the current end. */
  private void startFollowing(Connection c, String primary, ClusterView.Table t) throws Exception {
    synchronized (this) {
      slots.clear();
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(ordering), 0) FROM event_journal")) {
      rs.next();
      position = rs.getLong(1);
    }
    Set<Integer> withData = new TreeSet<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT DISTINCT persistence_id FROM event_journal WHERE persistence_id LIKE 'slot-%'"
                    + " UNION SELECT DISTINCT persistence_id FROM snapshot WHERE persistence_id LIKE 'slot-%'")) {
      while (rs.next()) {
        Integer slot = slotOf(rs.getString(1));
        if (slot != null && isPrimarys(t, primary, slot)) {
          withData.add(slot);
        }
      }
    }
    long t0 = System.nanoTime();
    for (int slot : withData) {
      load(c, slot);
    }
    following = primary;
    BiConsumer<Mirror, List<Integer>> first = onFirstFollow;
    onFirstFollow = null;
    if (first != null) {
      List<Integer> primarys = new ArrayList<>();
      for (int slot = 0; slot < 16384; slot++) {
        if (isPrimarys(t, primary, slot)) {
          primarys.add(slot);
        }
      }
      first.accept(this, primarys);
    }
    log.info(
        "Replica of {}: {} slots warm from the journal in {} ms", primary, withData.size(),
        (System.nanoTime() - t0) / 1_000_000);
  }

  /** A slot's latest snapshot and the events after it. */
  private void load(Connection c, int slot) throws Exception {
    String pid = "slot-" + slot;
    long loaded = 0;
    Warm w = new Warm();
    w.state = new SlotState();
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT sequence_number, snapshot_ser_id, snapshot_ser_manifest, snapshot_payload"
                + " FROM snapshot WHERE persistence_id = ? ORDER BY sequence_number DESC LIMIT 1")) {
      st.setString(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        if (rs.next()) {
          w.seq = rs.getLong(1);
          Object snap = serialization.deserialize(rs.getBytes(4), rs.getInt(2), rs.getString(3)).get();
          w.state = SlotState.fromSnapshot((SlotSnapshot) snap, System.currentTimeMillis());
        }
      }
    }
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT sequence_number, event_ser_id, event_ser_manifest, event_payload FROM event_journal"
                + " WHERE persistence_id = ? AND sequence_number > ? ORDER BY sequence_number")) {
      st.setString(1, pid);
      st.setLong(2, w.seq);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          long seq = rs.getLong(1);
          if (seq != w.seq + 1) {
            break; // a hole not yet committed: the rest comes with the next reload
          }
          Object event = serialization.deserialize(rs.getBytes(4), rs.getInt(2), rs.getString(3)).get();
          w.state.apply((SlotEvent) event, System.currentTimeMillis());
          w.seq = seq;
          loaded++;
        }
      }
    }
    synchronized (this) {
      slots.put(slot, w);
      applied += loaded;
    }
  }

  private static Integer slotOf(String persistenceId) {
    if (persistenceId == null || !persistenceId.startsWith("slot-")) {
      return null;
    }
    try {
      return Integer.parseInt(persistenceId.substring(5));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      connection = DriverManager.getConnection(url, user, password);
    }
    return connection;
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // gone anyway
      }
      connection = null;
    }
    following = null;
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      if (checks != null) {
        try {
          checks.close();
        } catch (SQLException ignored) {
          // gone anyway
        }
      }
    }
    BY_SYSTEM.remove(system, this);
    thread.interrupt();
  }
}
