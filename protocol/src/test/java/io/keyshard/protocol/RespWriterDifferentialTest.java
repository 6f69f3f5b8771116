package io.keyshard.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Number formatting checked against a real redis-server: ZSCORE for doubles, INCRBYFLOAT. */
class RespWriterDifferentialTest {
  private static RealRedis redis;

  @BeforeAll
  static void startRedis() throws Exception {
    // Skiplist-encoded sorted sets keep scores as doubles; the compact listpack encoding would
    // store -0.0 as the integer 0 and hide how a -0 score is printed.
    redis = RealRedis.start("--zset-max-listpack-entries", "0");
  }

  @AfterAll
  static void stopRedis() {
    if (redis != null) redis.close();
  }

  private static List<Double> doubles() {
    List<Double> ds = new ArrayList<>(List.of(0.1, 1.0, -1.0, 0.0, -0.0, 1.5, 3.14, 1e16, 1e17,
        1.2345e17, 99999999999999999.0, 9007199254740993.0, 1e-4, 1e-5, 0.00012345, 1e-300,
        Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE, 0.3, 1e100,
        123.456, 1e21, 1e22, 1e23, -2.5e-7, 2.0 / 3, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY));
    Random r = new Random(3);
    while (ds.size() < 400) {
      double d = Double.longBitsToDouble(r.nextLong());
      if (!Double.isNaN(d)) ds.add(d);
    }
    for (int i = 0; i < 200; i++) {
      ds.add(Math.round(r.nextGaussian() * 1e6) / Math.pow(10, r.nextInt(12)));
    }
    return ds;
  }

  private static String scoreArg(double d) {
    return Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : Double.toString(d);
  }

  @Test
  void doublesFormatLikeZscoreInResp2AndResp3() throws Exception {
    List<Double> ds = doubles();
    try (Socket s2 = connect(); Socket s3 = connect()) {
      for (int i = 0; i < ds.size(); i++) {
        RealRedis.call(s2, "ZADD", "z", scoreArg(ds.get(i)), "m" + i);
      }
      RealRedis.call(s3, "HELLO", "3");
      List<Object> pipelined2 = pipeline(s2, ds.size(), i -> new Object[] {"ZSCORE", "z", "m" + i});
      List<Object> pipelined3 = pipeline(s3, ds.size(), i -> new Object[] {"ZSCORE", "z", "m" + i});
      for (int i = 0; i < ds.size(); i++) {
        double d = ds.get(i);
        String label = "score " + scoreArg(d);
        assertEquals(new String((byte[]) pipelined2.get(i), ISO_8859_1),
            new String(RespWriter.encode(new Reply.Double(d), 2), ISO_8859_1)
                .split("\r\n")[1], label);
        assertEquals(pipelined3.get(i) + "\r\n",
            new String(RespWriter.encode(new Reply.Double(d), 3), ISO_8859_1), label);
      }
    }
  }

  @Test
  void incrByFloatFormatsLikeRedis() throws Exception {
    List<String[]> pairs = new ArrayList<>(List.of(
        new String[] {"10.5", "0.1"}, new String[] {"3.0e3", "0"}, new String[] {"0.1", "0.2"},
        new String[] {"1e300", "1"}, new String[] {"5.0e3", "2.0e2"}, new String[] {"-1", "1"},
        new String[] {"1", "-1.00000000000000000001"}, new String[] {"0", "1e-17"},
        new String[] {"123456789.123456789", "0.000000001"},
        new String[] {"9223372036854775807", "1"}, new String[] {"1e30", "-1e30"},
        new String[] {"0.1", "-0.1"}, new String[] {"1.7976931348623157e308", "1e308"}));
    Random r = new Random(5);
    for (int i = 0; i < 300; i++) {
      pairs.add(new String[] {randomDecimal(r), randomDecimal(r)});
    }
    for (int i = 0; i < 100; i++) {
      pairs.add(new String[] {Double.toString(r.nextDouble() * 1000),
          Double.toString(r.nextGaussian())});
    }
    try (Socket s = connect()) {
      for (String[] p : pairs) {
        RealRedis.call(s, "SET", "f", p[0]);
        Object got = RealRedis.call(s, "INCRBYFLOAT", "f", p[1]);
        BigDecimal sum = LongDouble.round(LongDouble.round(new BigDecimal(p[0]))
            .add(LongDouble.round(new BigDecimal(p[1]))));
        assertEquals(new String((byte[]) got, ISO_8859_1), RespWriter.formatLongDouble(sum),
            p[0] + " + " + p[1]);
      }
    }
  }

  private static String randomDecimal(Random r) {
    StringBuilder sb = new StringBuilder();
    if (r.nextBoolean()) sb.append('-');
    int digits = 1 + r.nextInt(20);
    sb.append(1 + r.nextInt(9));
    for (int i = 1; i < digits; i++) sb.append(r.nextInt(10));
    if (r.nextBoolean()) sb.insert(sb.length() - r.nextInt(digits), '.');
    if (r.nextInt(4) == 0) sb.append('e').append(r.nextInt(41) - 20);
    String s = sb.toString();
    return s.endsWith(".") || s.contains(".e") || s.startsWith(".") || s.startsWith("-.")
        ? s.replace(".", "") : s;
  }

  private static Socket connect() throws Exception {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), redis.port);
    s.setSoTimeout(10_000);
    return s;
  }

  private interface Command {
    Object[] args(int i);
  }

  private static List<Object> pipeline(Socket s, int n, Command c) throws Exception {
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    for (int i = 0; i < n; i++) {
      Object[] args = c.args(i);
      req.writeBytes(("*" + args.length + "\r\n").getBytes(ISO_8859_1));
      for (Object a : args) {
        byte[] b = a.toString().getBytes(ISO_8859_1);
        req.writeBytes(("$" + b.length + "\r\n").getBytes(ISO_8859_1));
        req.writeBytes(b);
        req.writeBytes("\r\n".getBytes(ISO_8859_1));
      }
    }
    s.getOutputStream().write(req.toByteArray());
    InputStream in = new BufferedInputStream(s.getInputStream());
    List<Object> replies = new ArrayList<>();
    for (int i = 0; i < n; i++) replies.add(RealRedis.readReply(in));
    return replies;
  }
}
