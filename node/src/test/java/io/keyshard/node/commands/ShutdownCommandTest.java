package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * SHUTDOWN's refusals, as Redis words them; they answer at once and stop nothing (no system,
 * session or cluster is touched). The stop itself is tested through real nodes (ClusterModeTest,
 * the multi-JVM FailoverProcessTest).
 */
class ShutdownCommandTest {

  private static Reply run(AtomicBoolean stopped, String... args) throws Exception {
    byte[][] argv = new byte[args.length + 1][];
    argv[0] = "SHUTDOWN".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < args.length; i++) {
      argv[i + 1] = args[i].getBytes(StandardCharsets.UTF_8);
    }
    return ShutdownCommand.shutdownCommand(null, null, null, stopped, null, argv)
        .toCompletableFuture()
        .getNow(null);
  }

  @Test
  void refusalsAnswerAtOnceAndStopNothing() throws Exception {
    AtomicBoolean stopped = new AtomicBoolean();
    assertEquals(Err.SYNTAX, run(stopped, "NOSAVE", "SAVE"));
    assertEquals(Err.SYNTAX, run(stopped, "save", "nosave", "now"));
    assertEquals(Err.SYNTAX, run(stopped, "LATER"));
    assertEquals(Err.SYNTAX, run(stopped, "ABORT", "NOW"));
    assertEquals(Err.err("No shutdown in progress."), run(stopped, "abort"));
    assertFalse(stopped.get());
  }
}
