package io.keyshard.node.migrate;

import io.keyshard.node.commands.Args;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2
 * username password] [KEYS key ...], parsed as Redis 7.0 parses it and with its errors, before
 * anything runs. {@code password} and {@code username} are null when not given.
 *
 * @param port as C's atoi reads it (anything not a port fails at connect time, as in Redis)
 * @param timeoutMillis per I/O operation; 0 or less was given as 1000, as Redis does
 */
public record MigrateArgs(
    String host,
    int port,
    long db,
    long timeoutMillis,
    boolean copy,
    boolean replace,
    byte[] username,
    byte[] password,
    List<byte[]> keys) {

  public static MigrateArgs parse(byte[][] argv) {
    boolean copy = false;
    boolean replace = false;
    byte[] username = null;
    byte[] password = null;
    int firstKey = 3;
    int numKeys = 1;
    for (int j = 6; j < argv.length; j++) {
      int more = argv.length - 1 - j;
      if (Args.is(argv[j], "COPY")) {
        copy = true;
      } else if (Args.is(argv[j], "REPLACE")) {
        replace = true;
      } else if (Args.is(argv[j], "AUTH")) {
        if (more < 1) {
          throw new RedisException(Err.SYNTAX);
        }
        password = argv[++j];
      } else if (Args.is(argv[j], "AUTH2")) {
        if (more < 2) {
          throw new RedisException(Err.SYNTAX);
        }
        username = argv[++j];
        password = argv[++j];
      } else if (Args.is(argv[j], "KEYS")) {
        if (argv[3].length != 0) {
          throw new RedisException(
              Err.err(
                  "When using MIGRATE KEYS option, the key argument must be set to the empty"
                      + " string"));
        }
        firstKey = j + 1;
        numKeys = argv.length - j - 1;
        break;
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    long timeout = Args.parseLong(argv[5]);
    long db = Args.parseLong(argv[4]);
    if (timeout <= 0) {
      timeout = 1000;
    }
    List<byte[]> keys = new ArrayList<>(numKeys);
    for (int i = 0; i < numKeys; i++) {
      keys.add(argv[firstKey + i]);
    }
    return new MigrateArgs(
        new String(argv[1], StandardCharsets.ISO_8859_1),
        atoi(argv[2]),
        db,
        timeout,
        copy,
        replace,
        username,
        password,
        keys);
  }

  /**
   * glibc's atoi: strtol (spaces, a sign, digits up to the first other byte, saturating at the
   * 64-bit range), then the low 32 bits; 0 when there are no digits.
   */
  static int atoi(byte[] s) {
    int i = 0;
    while (i < s.length && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) {
      i++;
    }
    boolean negative = false;
    if (i < s.length && (s[i] == '+' || s[i] == '-')) {
      negative = s[i] == '-';
      i++;
    }
    long v = 0;
    boolean overflow = false;
    while (i < s.length && s[i] >= '0' && s[i] <= '9') {
      int d = s[i++] - '0';
      if (v > (Long.MAX_VALUE - d) / 10) {
        overflow = true;
      } else {
        v = v * 10 + d;
      }
    }
    if (overflow) {
      v = negative ? Long.MIN_VALUE : Long.MAX_VALUE;
    } else if (negative) {
      v = -v;
    }
    return (int) v;
  }
}
