package io.keyshard.node;

import io.keyshard.protocol.RawText;
import io.keyshard.protocol.Reply;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.JSerializer;

/**
 * Carries a {@link Reply} between nodes: one tag byte per node of the reply tree, then its
 * content. Replies are transient (never stored), so this format may change between releases
 * as long as every node of a cluster runs the same one.
 */
public final class ReplySerializer extends JSerializer {
  private static final int SIMPLE = 1, ERROR = 2, INT = 3, BULK = 4, NULL = 5, NULL_ARRAY = 6,
      ARRAY = 7, MAP = 8, SET = 9, DOUBLE = 10, BOOL = 11, VERBATIM = 12, PUSH = 13, RAW = 14, PAIRS = 15,
      PAIR_MAP = 16;

  public ReplySerializer(ExtendedActorSystem system) {}

  @Override
  public int identifier() {
    return 7380;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      write((Reply) o, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    try {
      return read(new DataInputStream(new ByteArrayInputStream(bytes)));
    } catch (IOException e) {
      throw new UncheckedIOException(new NotSerializableException(e.getMessage()));
    }
  }

  private static void write(Reply r, DataOutputStream out) throws IOException {
    if (r instanceof Reply.Simple s) {
      out.writeByte(SIMPLE);
      writeBytes(RawText.toBytes(s.text()), out);
    } else if (r instanceof Reply.Error e) {
      out.writeByte(ERROR);
      // As the client would get it: bytes echoed from a request (RawText) stay exact.
      writeBytes(RawText.toBytes(e.text()), out);
    } else if (r instanceof Reply.Int i) {
      out.writeByte(INT);
      out.writeLong(i.value());
    } else if (r instanceof Reply.Bulk b) {
      out.writeByte(BULK);
      writeBytes(b.value(), out);
    } else if (r instanceof Reply.Null) {
      out.writeByte(NULL);
    } else if (r instanceof Reply.NullArray) {
      out.writeByte(NULL_ARRAY);
    } else if (r instanceof Reply.Array a) {
      out.writeByte(ARRAY);
      writeList(a.items(), out);
    } else if (r instanceof Reply.Map m) {
      out.writeByte(MAP);
      writeList(m.keysAndValues(), out);
    } else if (r instanceof Reply.PairMap m) {
      out.writeByte(PAIR_MAP);
      writeList(m.keysAndValues(), out);
    } else if (r instanceof Reply.Pairs p) {
      out.writeByte(PAIRS);
      writeList(p.flattened(), out);
    } else if (r instanceof Reply.Set s) {
      out.writeByte(SET);
      writeList(s.items(), out);
    } else if (r instanceof Reply.Double d) {
      out.writeByte(DOUBLE);
      out.writeDouble(d.value());
    } else if (r instanceof Reply.Bool b) {
      out.writeByte(BOOL);
      out.writeBoolean(b.value());
    } else if (r instanceof Reply.Verbatim v) {
      out.writeByte(VERBATIM);
      writeBytes(v.format().getBytes(StandardCharsets.UTF_8), out);
      writeBytes(v.text(), out);
    } else if (r instanceof Reply.Push p) {
      out.writeByte(PUSH);
      writeList(p.items(), out);
    } else if (r instanceof Reply.Raw raw) {
      out.writeByte(RAW);
      writeBytes(raw.bytes(), out);
    } else {
      throw new IllegalArgumentException("Unknown reply " + r.getClass());
    }
  }

  private static void writeBytes(byte[] b, DataOutputStream out) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  private static void writeList(List<Reply> items, DataOutputStream out) throws IOException {
    out.writeInt(items.size());
    for (Reply item : items) {
      write(item, out);
    }
  }

  private static Reply read(DataInputStream in) throws IOException {
    int tag = in.readUnsignedByte();
    return switch (tag) {
      case SIMPLE -> new Reply.Simple(RawText.fromBytes(readBytes(in)));
      case ERROR -> new Reply.Error(RawText.fromBytes(readBytes(in)));
      case INT -> new Reply.Int(in.readLong());
      case BULK -> new Reply.Bulk(readBytes(in));
      case NULL -> Reply.NULL;
      case NULL_ARRAY -> Reply.NULL_ARRAY;
      case ARRAY -> new Reply.Array(readList(in));
      case MAP -> new Reply.Map(readList(in));
      case SET -> new Reply.Set(readList(in));
      case PAIRS -> new Reply.Pairs(readList(in));
      case PAIR_MAP -> new Reply.PairMap(readList(in));
      case DOUBLE -> new Reply.Double(in.readDouble());
      case BOOL -> new Reply.Bool(in.readBoolean());
      case VERBATIM -> new Reply.Verbatim(readString(in), readBytes(in));
      case PUSH -> new Reply.Push(readList(in));
      case RAW -> new Reply.Raw(readBytes(in));
      default -> throw new IOException("Unknown reply tag " + tag);
    };
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    return in.readNBytes(in.readInt());
  }

  private static String readString(DataInputStream in) throws IOException {
    return new String(readBytes(in), StandardCharsets.UTF_8);
  }

  private static List<Reply> readList(DataInputStream in) throws IOException {
    int n = in.readInt();
    List<Reply> items = new ArrayList<>(Math.min(n, 1024));
    for (int i = 0; i < n; i++) {
      items.add(read(in));
    }
    return items;
  }
}
