package io.keyshard.tools.backup;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A backup archive's manifest.json (docs/BACKUP-FORMAT.md): what was backed up, from where, at
 * which cut, what each slot holds (key counts and digests, so a backup can be checked from
 * itself and against a live server slot by slot), and a checksum of every file.
 */
public record Manifest(
    int format,
    String backupId,
    String createdAt,
    Source source,
    Cut cut,
    long keys,
    long expires,
    Map<String, Counts> databases,
    List<SlotPart> slots,
    String redisDigest,
    List<FileEntry> files,
    Functions functions) {

  /** The format this tool writes and reads. */
  public static final int FORMAT = 1;

  /** The archive's file names. */
  public static final String FILE = "manifest.json";

  public static final String DATA = "dump.rdb";

  /** The RDB AUX field naming the backup the data file belongs to. */
  public static final String AUX_BACKUP_ID = "keyshard-backup-id";

  /** standalone or cluster, the address given, and each node the data came from. */
  public record Source(String mode, String entry, List<Node> nodes) {}

  /** A node's part: its id, address, slots (ranges), and when its cut was asked for and received. */
  public record Node(String id, String address, String slots, String cutAskedAt, String cutReceivedAt, long rdbBytes) {}

  /**
   * How the cut was taken, in words for an operator (docs/BACKUP-FORMAT.md); {@code at}: the
   * instant of a point-in-time cut (ISO-8601), absent otherwise.
   */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record Cut(String kind, String description, String at) {}

  public record Counts(long keys, long expires) {}

  /**
   * The keys of one database in one slot: how many, how many expire, the XOR of their DEBUG
   * DIGEST parts (type and contents, and whether each expires) and of their expiry digests (when
   * each expires; see SlotTally).
   */
  public record SlotPart(int slot, int db, long keys, long expires, String digest, String expiryDigest) {}

  public record FileEntry(String name, long bytes, String sha256) {}

  /**
   * The source's function libraries (absent in archives written before backups carried them).
   * Per node, as Redis Cluster keeps them: each distinct library once ({@code libraries}, naming
   * the nodes that hold exactly that code); {@code disagreeing} the nodes whose set differs from
   * the one in dump.rdb (empty when every node holds the same libraries); {@code readAt} when and
   * how they were read (they are not journaled, so never as of a past instant).
   */
  public record Functions(String readAt, List<Library> libraries, List<String> disagreeing) {}

  /**
   * A distinct library: its name, the SHA-256 and size of its code, the nodes (ids) holding it.
   * {@code inData}: in dump.rdb (one code per name, the one most nodes hold; a file naming a
   * library twice would not load in Redis); otherwise its {@code code} is here, in Base64.
   */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record Library(String name, String sha256, long bytes, List<String> nodes, boolean inData, String code) {}

  static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  void write(Path file) throws IOException {
    JSON.writeValue(file.toFile(), this);
  }

  static Manifest read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), Manifest.class);
  }
}
