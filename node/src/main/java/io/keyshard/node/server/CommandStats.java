package io.keyshard.node.server;

import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Redis 7.0's per-command counters (INFO commandstats and latencystats) and error counts (INFO
 * errorstats, total_error_replies), kept as Redis keeps them:
 * <ul>
 *   <li>calls, usec, failed_calls: a command that ran, counted when it completes, failed when
 *       its reply is an error; a blocking command's call when it starts (as Redis, which counts
 *       it before it blocks), its failure and time when it is served, times out or fails (its
 *       time includes the time blocked, Redis's does not);
 *   <li>rejected_calls: refused before it ran (arity, NOAUTH, NOPERM, OOM, BUSY, LOADING,
 *       a redirect, a command refused inside MULTI; inside a script, Redis's script checks);
 *   <li>commands inside EXEC and scripts count under their own names as well;
 *   <li>an error reply counts once under its code, the first word when a space comes within its
 *       first 32 characters, else ERR; a script's error that only passes on an error its
 *       redis.call already counted is not counted again. Redis 7.0.15 has no cap on the number of
 *       codes (7.2's 128 and errorstat_ERRORSTATS_DISABLED came later), nor has this.
 * </ul>
 * Counters are LongAdders made once per command (full name, subcommands apart) and never
 * removed; latency goes to an HdrHistogram made on the command's first call (Redis's shape: ns,
 * 1 ns to 1 s, 2 significant digits), whose recording is wait-free. Nothing here locks on the
 * request path; CONFIG RESETSTAT zeroes everything.
 */
public final class CommandStats {
  /** Redis's latency histogram: values in ns, this range and precision. */
  private static final long LOWEST_NS = 1;
  private static final long HIGHEST_NS = 1_000_000_000L;
  private static final int SIGNIFICANT_DIGITS = 2;
  /** Redis looks for the error code's space in the first 32 characters only. */
  private static final int CODE_SEARCH = 32;

  /** One command's counters. */
  public static final class Counters {
    final String name;
    final LongAdder calls = new LongAdder();
    final LongAdder usec = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder failed = new LongAdder();
    volatile Histogram latency;

    Counters(String name) {
      this.name = name;
    }
  }

  private static final AtomicReferenceFieldUpdater<Counters, Histogram> LATENCY =
      AtomicReferenceFieldUpdater.newUpdater(Counters.class, Histogram.class, "latency");

  private final ConcurrentHashMap<String, Counters> commands = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final LongAdder totalErrors = new LongAdder();
  private volatile boolean latencyTracking = true;
  private volatile double[] percentiles = {50.0, 99.0, 99.9};

  private Counters of(CommandSpec spec) {
    String name = spec.fullName();
    Counters c = commands.get(name);
    return c != null ? c : commands.computeIfAbsent(name, Counters::new);
  }

  /** Refused before it ran. */
  public void rejected(CommandSpec spec) {
    if (spec != null) {
      of(spec).rejected.increment();
    }
  }

  /** Ran, from {@code startNanos} (System.nanoTime) to now, with {@code reply} (null: failed). */
  public void ran(CommandSpec spec, long startNanos, Reply reply) {
    of(spec).calls.increment();
    completed(spec, startNanos, reply);
  }

  /**
   * A blocking command (BLPOP, XREADGROUP BLOCK ...) is a call when it starts, as in Redis, where
   * it is counted before it blocks; its failure and time when it completes ({@link #completed}).
   */
  public void called(CommandSpec spec) {
    of(spec).calls.increment();
  }

  /** The completion of a call counted by {@link #called}. */
  public void completed(CommandSpec spec, long startNanos, Reply reply) {
    long ns = Math.max(0, System.nanoTime() - startNanos);
    Counters c = of(spec);
    c.usec.add(ns / 1000);
    if (reply == null || reply.isError()) {
      c.failed.increment();
    }
    if (latencyTracking) {
      Histogram h = c.latency;
      if (h == null) {
        LATENCY.compareAndSet(c, null, new ConcurrentHistogram(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_DIGITS));
        h = c.latency;
      }
      h.recordValue(Math.min(Math.max(ns, LOWEST_NS), HIGHEST_NS));
    }
  }

  /** An error reply made: counted under its code and in total_error_replies. */
  public void error(Reply reply) {
    if (!(reply instanceof Reply.Error e)) {
      return;
    }
    String code = code(e.text());
    LongAdder n = errors.get(code);
    if (n == null) {
      n = errors.computeIfAbsent(code, k -> new LongAdder());
    }
    n.increment();
    totalErrors.increment();
  }

  /** Redis's error code: the text up to its first space within 32 characters, else ERR. */
  static String code(String text) {
    String t = text.startsWith("-") ? text.substring(1) : text;
    int space = t.indexOf(' ');
    return space >= 0 && space < CODE_SEARCH ? t.substring(0, space) : "ERR";
  }

  public long totalErrors() {
    return totalErrors.sum();
  }

  public void reset() {
    commands.values().forEach(
        c -> {
          c.calls.reset();
          c.usec.reset();
          c.rejected.reset();
          c.failed.reset();
          c.latency = null;
        });
    errors.clear();
    totalErrors.reset();
  }

  public boolean latencyTracking() {
    return latencyTracking;
  }

  public void setLatencyTracking(boolean on) {
    latencyTracking = on;
  }

  /** latency-tracking-info-percentiles as CONFIG GET shows it. */
  public String percentiles() {
    List<String> out = new ArrayList<>();
    for (double p : percentiles) {
      out.add(number(p));
    }
    return String.join(" ", out);
  }

  /** CONFIG SET latency-tracking-info-percentiles: null if accepted, else Redis's reason. */
  public static String refusePercentiles(String value) {
    for (String word : value.trim().isEmpty() ? new String[0] : value.trim().split("\\s+")) {
      double p;
      try {
        p = Double.parseDouble(word);
      } catch (NumberFormatException e) {
        return "Invalid latency-tracking-info-percentiles parameters";
      }
      if (p < 0 || p > 100 || Double.isNaN(p)) {
        return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
      }
    }
    return null;
  }

  public void setPercentiles(String value) {
    String t = value.trim();
    String[] words = t.isEmpty() ? new String[0] : t.split("\\s+");
    double[] ps = new double[words.length];
    for (int i = 0; i < words.length; i++) {
      ps[i] = Double.parseDouble(words[i]);
    }
    percentiles = ps;
  }

  /** INFO commandstats: the commands called, failed or rejected since the last reset. */
  public Map<String, String> commandLines() {
    Map<String, String> out = new TreeMap<>();
    for (Counters c : commands.values()) {
      long calls = c.calls.sum();
      long rejected = c.rejected.sum();
      long failed = c.failed.sum();
      if (calls == 0 && rejected == 0 && failed == 0) {
        continue;
      }
      long usec = c.usec.sum();
      out.put(
          "cmdstat_" + c.name,
          "calls=" + calls + ",usec=" + usec + ",usec_per_call="
              + String.format(Locale.ROOT, "%.2f", calls == 0 ? 0.0 : (double) usec / calls)
              + ",rejected_calls=" + rejected + ",failed_calls=" + failed);
    }
    return out;
  }

  /** INFO errorstats. */
  public Map<String, String> errorLines() {
    Map<String, String> out = new TreeMap<>();
    errors.forEach((code, n) -> out.put("errorstat_" + code, "count=" + n.sum()));
    return out;
  }

  /** INFO latencystats: each command with a histogram, at the configured percentiles, in usec. */
  public Map<String, String> latencyLines() {
    Map<String, String> out = new TreeMap<>();
    if (!latencyTracking) {
      return out;
    }
    double[] ps = percentiles;
    for (Counters c : commands.values()) {
      Histogram h = c.latency;
      if (h == null) {
        continue;
      }
      Histogram copy = h.copy();
      StringBuilder line = new StringBuilder();
      for (double p : ps) {
        if (line.length() > 0) {
          line.append(',');
        }
        line.append('p').append(number(p)).append('=')
            .append(String.format(Locale.ROOT, "%.3f", copy.getValueAtPercentile(p) / 1000.0));
      }
      out.put("latency_percentiles_usec_" + c.name, line.toString());
    }
    return out;
  }

  /** A percentile as Redis prints it: 50, 99.9, 0. */
  private static String number(double p) {
    return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
  }
}
