package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.is;
import static io.keyshard.node.commands.Args.str;

import io.keyshard.node.server.Session;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * REPLCONF and SYNC, enough for {@code redis-cli --rdb FILE}: it sends REPLCONF capa eof and
 * REPLCONF rdb-only 1, then SYNC, and reads one RDB file as Redis's disk-based transfer sends it
 * ({@code $<length>\r\n} then the bytes). Keyshard is never a replication master: SYNC without
 * rdb-only is refused with a message (a Redis replica would otherwise load the file and ask
 * again forever), there is no PSYNC, and the connection closes after the file. The file comes
 * from a cut like BGSAVE's, built in memory (so at most what one Java array holds, 2 GB), with
 * the node's function libraries first as in BGSAVE's file; {@code REPLCONF rdb-filter-only
 * functions} ({@code redis-cli --functions-rdb}) asks for the libraries alone, as Redis 7.0 has it.
 */
final class RdbTransfer {
  private static final List<String> OPTIONS =
      List.of("listening-port", "ip-address", "capa", "rdb-only", "rdb-filter-only", "keyshard-at");

  private final SaveCommand save;

  RdbTransfer(SaveCommand save) {
    this.save = save;
  }

  /** REPLCONF option value ...: Redis's answers for the options a replica or redis-cli sends. */
  Reply replconf(Session s, byte[][] a) {
    if (a.length % 2 == 0) {
      return Err.SYNTAX;
    }
    for (int i = 1; i < a.length; i += 2) {
      String option = str(a[i]).toLowerCase(Locale.ROOT);
      if (!OPTIONS.contains(option)) {
        return Err.err("Unrecognized REPLCONF option: " + str(a[i]));
      }
      if (option.equals("rdb-only")) {
        if (!is(a[i + 1], "0") && !is(a[i + 1], "1")) {
          return Err.err("Invalid rdb-only value");
        }
        s.rdbOnly = is(a[i + 1], "1");
      }
      if (option.equals("rdb-filter-only")) {
        // Include filters, space-separated; Redis 7.0 knows one. Anything named leaves the rest out.
        boolean functions = false;
        for (String filter : str(a[i + 1]).trim().split("\\s+")) {
          if (filter.equalsIgnoreCase("functions")) {
            functions = true;
          } else if (!filter.isEmpty()) {
            return Err.err("Unsupported rdb-filter-only option: " + filter);
          }
        }
        s.rdbKeys = false;
        s.rdbFunctions = functions;
      }
      if (option.equals("keyshard-at")) {
        // Keyshard's own: the point-in-time backup's instant, in Unix ms.
        Long at = Args.parseLongOrNull(a[i + 1]);
        if (at == null || at < 0) {
          return Err.err("Invalid keyshard-at value: Unix time in milliseconds expected");
        }
        s.rdbAt = at;
      }
    }
    return Reply.OK;
  }

  CompletionStage<Reply> sync(Session s, byte[][] a) {
    if (!s.rdbOnly) {
      return CompletableFuture.completedFuture(
          Err.err(
              "Keyshard is not a replication master: SYNC only serves redis-cli --rdb"
                  + " (REPLCONF rdb-only 1); use BGSAVE and copy dump.rdb"));
    }
    return (s.rdbAt >= 0 ? save.historyBytes(s.rdbAt, s.rdbKeys, s.rdbFunctions) : save.rdbBytes(s.rdbKeys, s.rdbFunctions))
        .handle(
            (rdb, t) -> {
              if (t != null) {
                Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                return Err.err("SYNC failed: " + cause.getMessage());
              }
              s.closeAfterReply = true;
              byte[] head = ("$" + rdb.length + "\r\n").getBytes(StandardCharsets.US_ASCII);
              byte[] out = new byte[head.length + rdb.length];
              System.arraycopy(head, 0, out, 0, head.length);
              System.arraycopy(rdb, 0, out, head.length, rdb.length);
              return new Reply.Raw(out);
            });
  }
}
