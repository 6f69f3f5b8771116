package io.keyshard.node.acl;

import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;

/**
 * ACL LOG: the latest denials (a command, a key, a channel, a failed AUTH), newest first, as
 * Redis 7.0 keeps them. A denial like one of the 10 newest entries (same reason, context, object
 * and user) within 60 s is counted in that entry, which moves to the front with the new time and
 * client; at most {@code acllog-max-len} entries are kept.
 */
public final class AclLog {
  private static final long GROUPING_MS = 60_000;
  private static final int GROUPING_ENTRIES = 10;

  /** One entry; the mutable fields change only under the log's lock. */
  private static final class Entry {
    final String reason;
    final String context;
    final byte[] object;
    final String username;
    long count = 1;
    long at;
    String clientInfo;

    Entry(String reason, String context, byte[] object, String username) {
      this.reason = reason;
      this.context = context;
      this.object = object;
      this.username = username;
    }

    boolean sameAs(Entry o) {
      return reason.equals(o.reason)
          && context.equals(o.context)
          && java.util.Arrays.equals(object, o.object)
          && username.equals(o.username);
    }
  }

  private final LinkedList<Entry> entries = new LinkedList<>();
  private volatile int maxLen = 128;

  public int maxLen() {
    return maxLen;
  }

  /** CONFIG SET acllog-max-len: drops the oldest entries beyond it at once, as Redis. */
  public synchronized void setMaxLen(int max) {
    maxLen = max;
    while (entries.size() > max) {
      entries.removeLast();
    }
  }

  /**
   * Records a denial. reason is "command", "key", "channel" or "auth"; context "toplevel",
   * "multi" or "lua"; object what was denied (the command's full name, the key, the channel,
   * "auth"); clientInfo the connection's CLIENT LIST line.
   */
  public synchronized void add(
      String reason, String context, byte[] object, String username, String clientInfo) {
    Entry e = new Entry(reason, context, object, username);
    long now = System.currentTimeMillis();
    Iterator<Entry> it = entries.iterator();
    for (int i = 0; i < GROUPING_ENTRIES && it.hasNext(); i++) {
      Entry old = it.next();
      if (old.sameAs(e) && now - old.at < GROUPING_MS) {
        it.remove();
        e.count = old.count + 1;
        break;
      }
    }
    e.at = now;
    e.clientInfo = clientInfo;
    entries.addFirst(e);
    while (entries.size() > maxLen) {
      entries.removeLast();
    }
  }

  public synchronized void reset() {
    entries.clear();
  }

  /** ACL LOG [count]: the newest count entries as maps. */
  public synchronized Reply render(long count) {
    long now = System.currentTimeMillis();
    List<Reply> out = new ArrayList<>();
    for (Entry e : entries) {
      if (out.size() >= count) {
        break;
      }
      out.add(
          new Reply.Map(
              List.of(
                  Reply.bulk("count"), Reply.integer(e.count),
                  Reply.bulk("reason"), Reply.bulk(e.reason),
                  Reply.bulk("context"), Reply.bulk(e.context),
                  Reply.bulk("object"), Reply.bulk(e.object),
                  Reply.bulk("username"), Reply.bulk(e.username.getBytes(StandardCharsets.ISO_8859_1)),
                  Reply.bulk("age-seconds"), new Reply.Double((now - e.at) / 1000.0),
                  Reply.bulk("client-info"), Reply.bulk(e.clientInfo))));
    }
    return Reply.array(out);
  }
}
