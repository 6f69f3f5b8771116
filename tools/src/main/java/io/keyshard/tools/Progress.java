package io.keyshard.tools;

import java.io.PrintStream;
import java.util.Locale;

/**
 * What a long operation has done so far: keys, bytes, rate and ETA. On a terminal one line
 * redrawn in place a few times a second; otherwise (a log, a pipe) a plain line every few
 * seconds, so a cron job's log shows it is alive.
 */
public final class Progress {
  private final String what;
  private final PrintStream out;
  private final boolean terminal;
  private final long started = System.nanoTime();
  private volatile long totalBytes;
  private volatile String detail;
  private long lastPrinted;
  private boolean drawn;

  public Progress(String what, long totalBytes, PrintStream out, boolean terminal) {
    this.what = what;
    this.totalBytes = totalBytes;
    this.out = out;
    this.terminal = terminal;
  }

  /** On standard error, drawn in place when it is a terminal. */
  public static Progress onStderr(String what, long totalBytes) {
    return new Progress(what, totalBytes, System.err, System.console() != null);
  }

  public void total(long bytes) {
    this.totalBytes = bytes;
  }

  /** Shown at the end of every line from now on (a live import's lag). */
  public void detail(String text) {
    this.detail = text;
  }

  public synchronized void update(long keys, long bytes) {
    long now = System.nanoTime();
    long every = terminal ? 200_000_000L : 5_000_000_000L;
    if (now - lastPrinted < every) {
      return;
    }
    lastPrinted = now;
    print(line(keys, bytes, now), false);
  }

  /** The last line, then a newline on a terminal. */
  public synchronized void done(long keys, long bytes) {
    print(line(keys, bytes, System.nanoTime()) + " done", true);
  }

  private void print(String line, boolean last) {
    if (terminal) {
      out.print("\r" + line + "\u001b[K" + (last ? "\n" : ""));
      drawn = !last;
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Ends a line drawn in place before something else is printed. */
  public synchronized void interrupt() {
    if (drawn) {
      out.println();
      drawn = false;
    }
  }

  private String line(long keys, long bytes, long now) {
    double secs = Math.max(1e-3, (now - started) / 1e9);
    StringBuilder sb = new StringBuilder();
    sb.append(what).append(": ")
        .append(String.format(Locale.ROOT, "%,d keys", keys)).append(", ")
        .append(mb(bytes));
    long total = totalBytes;
    if (total > 0) {
      sb.append(" of ").append(mb(total))
          .append(String.format(Locale.ROOT, " (%.0f%%)", 100.0 * Math.min(bytes, total) / total));
    }
    sb.append(String.format(Locale.ROOT, ", %s/s, %,.0f keys/s", mb((long) (bytes / secs)), keys / secs));
    if (total > 0 && bytes > 0 && bytes < total) {
      sb.append(String.format(Locale.ROOT, ", ETA %.0f s", (total - bytes) / (bytes / secs)));
    }
    sb.append(String.format(Locale.ROOT, ", %.1f s", secs));
    if (detail != null) {
      sb.append("; ").append(detail);
    }
    return sb.toString();
  }

  public static String mb(long bytes) {
    return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
  }
}
