package io.keyshard.node.scripting;

import io.keyshard.persistence.rdb.DumpPayload;
import io.keyshard.persistence.rdb.FunctionPayload;
import io.keyshard.persistence.rdb.RdbFormatException;
import io.keyshard.tools.DurableFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The node's function libraries (FUNCTION LOAD and the rest; docs/decisions/2026-12-07-functions.md).
 * Per node, as in Redis Cluster (clients and redis-cli load them on every primary): this node is
 * their one writer. Every change is saved before it is answered, as FUNCTION DUMP's payload in
 * {@code <dir>/functions.rdb} (replaced whole, fsync'd), and loaded again at start. Touched only on
 * the script thread.
 */
public final class Functions {
  /** One registered function: its Lua reference in the engine, flags and description. */
  public record Function(String name, String library, int ref, String description, Set<String> flags) {}

  /** A library: its name, its whole code (metadata line included) and its functions in order. */
  public record Library(String name, byte[] code, List<Function> functions) {}

  /** The metadata line's library name and the code after it (its newline kept, for line numbers). */
  public record Metadata(String name, byte[] body) {}

  private final Map<String, Library> libraries = new LinkedHashMap<>();
  /**
   * The libraries' code as last saved (or loaded at start), for readers off the script thread:
   * SAVE, BGSAVE and SYNC write them into their RDB files without waiting for a running script.
   */
  private volatile List<byte[]> saved = List.of();
  private final Map<String, Function> byName = new HashMap<>();
  private final Path file;

  public Functions(Path file) {
    this.file = file;
  }

  public Collection<Library> libraries() {
    return libraries.values();
  }

  public Library library(String name) {
    return libraries.get(name);
  }

  /** FCALL's lookup: function names are case-insensitive. */
  public Function function(String name) {
    return byName.get(name.toLowerCase(Locale.ROOT));
  }

  public int functionCount() {
    return byName.size();
  }

  /** {@code #!<engine> name=<lib>}: Redis 7.0's checks and errors, in its order. */
  public static Metadata metadata(byte[] code) throws LuaEngine.ScriptError {
    if (code.length < 2 || code[0] != '#' || code[1] != '!') {
      throw new LuaEngine.ScriptError("ERR Missing library metadata");
    }
    int nl = -1;
    for (int i = 0; i < code.length; i++) {
      if (code[i] == '\n') {
        nl = i;
        break;
      }
    }
    if (nl < 0) {
      throw new LuaEngine.ScriptError("ERR Invalid library metadata");
    }
    byte[] line = java.util.Arrays.copyOfRange(code, 2, nl);
    byte[][] words = io.keyshard.protocol.InlineSplitter.split(line, 0, line.length);
    if (words == null || words.length == 0) {
      throw new LuaEngine.ScriptError("ERR Invalid library metadata");
    }
    String engine = new String(words[0], StandardCharsets.UTF_8);
    String name = null;
    for (int i = 1; i < words.length; i++) {
      String w = new String(words[i], StandardCharsets.UTF_8);
      if (!w.startsWith("name=")) {
        throw new LuaEngine.ScriptError("ERR Invalid metadata value given: " + w);
      }
      if (name != null) {
        throw new LuaEngine.ScriptError("ERR Invalid metadata value, name argument was given multiple times");
      }
      name = w.substring("name=".length());
    }
    if (name == null) {
      throw new LuaEngine.ScriptError("ERR Library name was not given");
    }
    if (!validName(name)) {
      throw new LuaEngine.ScriptError(
          "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long");
    }
    if (!engine.equalsIgnoreCase("lua")) {
      throw new LuaEngine.ScriptError("ERR Engine '" + engine + "' not found");
    }
    return new Metadata(name, java.util.Arrays.copyOfRange(code, nl, code.length));
  }

  public static boolean validName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The library's functions clash with another library's ({@code except}: the one it replaces):
   * Redis's error, or null.
   */
  public String collision(Library lib, String except) {
    for (Function f : lib.functions()) {
      Function other = byName.get(f.name().toLowerCase(Locale.ROOT));
      if (other != null && !other.library().equals(except)) {
        return "ERR Function " + f.name() + " already exists";
      }
    }
    return null;
  }

  /** Adds (or replaces) a library; answers the one it replaced, whose references the caller drops. */
  public Library put(Library lib) {
    Library old = libraries.remove(lib.name());
    if (old != null) {
      for (Function f : old.functions()) {
        byName.remove(f.name().toLowerCase(Locale.ROOT));
      }
    }
    libraries.put(lib.name(), lib);
    for (Function f : lib.functions()) {
      byName.put(f.name().toLowerCase(Locale.ROOT), f);
    }
    return old;
  }

  public Library remove(String name) {
    Library old = libraries.remove(name);
    if (old != null) {
      for (Function f : old.functions()) {
        byName.remove(f.name().toLowerCase(Locale.ROOT));
      }
    }
    return old;
  }

  /** Every library, emptied out (FUNCTION FLUSH, RESTORE FLUSH). */
  public List<Library> clear() {
    List<Library> all = new ArrayList<>(libraries.values());
    libraries.clear();
    byName.clear();
    return all;
  }

  /** FUNCTION DUMP's payload of every library. */
  public byte[] dump() {
    return FunctionPayload.encode(codes());
  }

  /** Saved before a change is answered: a kill -9 leaves the old set or the new one. */
  public void save() throws IOException {
    List<byte[]> codes = codes();
    if (file != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      DurableFile.replace(file, FunctionPayload.encode(codes));
    }
    saved = codes;
  }

  /** At start, once the saved libraries are loaded: they are what {@link #published} answers. */
  public void loaded() {
    saved = codes();
  }

  /**
   * The code of every library as saved: what a change answered so far left (a change not yet
   * saved is not in it, one whose save failed never is). Any thread.
   */
  public List<byte[]> published() {
    return saved;
  }

  private List<byte[]> codes() {
    List<byte[]> codes = new ArrayList<>();
    for (Library l : libraries.values()) {
      codes.add(l.code());
    }
    return List.copyOf(codes);
  }

  /** The libraries' code saved by the last run, or none. */
  public List<byte[]> saved() throws IOException {
    if (file == null || !Files.exists(file)) {
      return List.of();
    }
    byte[] payload = Files.readAllBytes(file);
    try {
      if (!DumpPayload.verify(payload)) {
        throw new IOException(file + " is damaged (checksum)");
      }
      return FunctionPayload.decode(payload);
    } catch (RdbFormatException e) {
      throw new IOException(file + " is damaged: " + e.getMessage(), e);
    }
  }
}
