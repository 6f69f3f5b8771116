package io.keyshard.tools;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** The tools' state files: replaced whole, so that a kill -9 leaves the old content or the new. */
public final class DurableFile {
  private DurableFile() {}

  /** Writes a temporary file beside {@code file}, syncs it, and renames it over {@code file}. */
  public static void replace(Path file, byte[] bytes) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path temp = dir.resolve(file.getFileName() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(bytes));
      ch.force(true);
    }
    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
