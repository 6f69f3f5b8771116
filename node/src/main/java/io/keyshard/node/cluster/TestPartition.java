package io.keyshard.node.cluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.remote.RemoteActorRefProvider;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For partition tests only (keyshard.testing.partition-file, off by default): the cluster bus
 * addresses ("host:port", one per line) listed in that file are cut off from this node in both
 * directions, with Artery's test-mode blackhole; removing a line heals it. Tests of separate node
 * processes write the file to split the cluster, as a firewall between nodes would.
 */
public final class TestPartition {
  private static final Logger log = LoggerFactory.getLogger(TestPartition.class);

  private TestPartition() {}

  public static void start(ActorSystem system, Path file) {
    Thread t =
        new Thread(
            () -> {
              Set<String> cut = new HashSet<>();
              while (!system.whenTerminated().isCompleted()) {
                try {
                  Set<String> want = new HashSet<>();
                  if (Files.exists(file)) {
                    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                      if (!line.isBlank()) {
                        want.add(line.trim());
                      }
                    }
                  }
                  for (String a : want) {
                    if (!cut.contains(a)) {
                      throttle(system, a, ThrottlerTransportAdapter.Blackhole$.MODULE$);
                    }
                  }
                  for (String a : cut) {
                    if (!want.contains(a)) {
                      throttle(system, a, ThrottlerTransportAdapter.Unthrottled$.MODULE$);
                    }
                  }
                  cut = want;
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                } catch (Exception e) {
                  log.warn("Test partition: {}", e.toString());
                }
              }
            },
            "keyshard-test-partition");
    t.setDaemon(true);
    t.start();
  }

  private static void throttle(ActorSystem system, String hostPort, ThrottlerTransportAdapter.ThrottleMode mode)
      throws ReflectiveOperationException {
    Address address = AddressFromURIString.parse("pekko://" + system.name() + "@" + hostPort);
    log.warn("Test partition: {} {}", mode, address);
    // A Scala case object nested in a companion object: Java reaches it by its class name.
    ThrottlerTransportAdapter.Direction both =
        (ThrottlerTransportAdapter.Direction)
            Class.forName("org.apache.pekko.remote.transport.ThrottlerTransportAdapter$Direction$Both$")
                .getField("MODULE$")
                .get(null);
    ((RemoteActorRefProvider) ((ExtendedActorSystem) system).provider())
        .transport()
        .managementCommand(new ThrottlerTransportAdapter.SetThrottle(address, both, mode));
  }
}
