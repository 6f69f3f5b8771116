// A MULTI/EXEC load for bench/compare.sh: each client runs MULTI, INCR on five keys in five
// different hash slots, EXEC, sent as one write and answered as one read, for a fixed number of
// transactions. Prints transactions per second. Plain sockets, no dependencies:
//   java bench/TxBench.java PORT CLIENTS TRANSACTIONS_PER_CLIENT
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

public class TxBench {
  // Five keys whose CRC16 slots differ (checked against CLUSTER KEYSLOT): {a} {b} ... tags.
  static final String[] KEYS = {"tx:{a}", "tx:{b}", "tx:{c}", "tx:{d}", "tx:{e}"};

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int clients = Integer.parseInt(args[1]);
    int perClient = Integer.parseInt(args[2]);
    StringBuilder cmd = new StringBuilder("*1\r\n$5\r\nMULTI\r\n");
    for (String k : KEYS) {
      cmd.append("*2\r\n$4\r\nINCR\r\n$").append(k.length()).append("\r\n").append(k).append("\r\n");
    }
    cmd.append("*1\r\n$4\r\nEXEC\r\n");
    byte[] request = cmd.toString().getBytes(StandardCharsets.US_ASCII);
    List<Thread> threads = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      Thread t = new Thread(() -> {
        try (Socket s = new Socket("127.0.0.1", port)) {
          s.setTcpNoDelay(true);
          OutputStream out = s.getOutputStream();
          InputStream in = new BufferedInputStream(s.getInputStream());
          for (int i = 0; i < perClient; i++) {
            out.write(request);
            out.flush();
            // +OK, five +QUEUED, then *5 and five integers: 12 lines.
            for (int lines = 0; lines < 12; lines++) {
              int b;
              while ((b = in.read()) != '\n') {
                if (b < 0) {
                  throw new IllegalStateException("connection closed");
                }
              }
            }
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("%.0f%n", clients * (double) perClient / seconds);
  }
}
