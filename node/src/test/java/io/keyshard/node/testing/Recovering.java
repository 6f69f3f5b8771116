package io.keyshard.node.testing;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/** Reads that wait for a slot still recovering from the journal. */
public final class Recovering {
  private Recovering() {}

  /** GET, retried for up to 30 s while its slot still recovers (TRYAGAIN: not run). */
  public static String get(Jedis j, String key) throws InterruptedException {
    long until = System.currentTimeMillis() + 30_000;
    while (true) {
      try {
        return j.get(key);
      } catch (JedisDataException e) {
        if (!e.getMessage().startsWith("TRYAGAIN slot is recovering") || System.currentTimeMillis() > until) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }
}
