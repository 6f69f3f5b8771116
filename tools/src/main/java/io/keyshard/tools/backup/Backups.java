package io.keyshard.tools.backup;

import io.keyshard.tools.Address;
import io.keyshard.tools.ToolException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** keyshard-backup's operations for a program that runs them itself (the node's schedule). */
public final class Backups {
  private Backups() {}

  /** {@code keyshard-backup create --from from --out out}. */
  public static Manifest create(Address from, Path out, PrintStream log) throws ToolException, IOException {
    return Create.run(from, out, log);
  }

  /** {@code keyshard-backup verify archive}: the archive is whole and what its manifest says. */
  public static Manifest verify(Path archive) throws ToolException, IOException {
    return Verify.archive(archive);
  }
}
