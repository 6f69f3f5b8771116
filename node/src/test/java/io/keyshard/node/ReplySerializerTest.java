package io.keyshard.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.keyshard.protocol.RawText;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.RespWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A reply that crosses nodes reaches the client as the same bytes it would have locally. */
class ReplySerializerTest {

  @Test
  void errorsAndStatusesKeepEchoedBytesAndRealText() throws Exception {
    ReplySerializer s = new ReplySerializer(null);
    String echoed = "ERR unknown command 'x" + RawText.of((byte) 0xff) + "é', with args beginning with: ";
    for (Reply r : List.of(Reply.error(echoed), new Reply.Simple("OK é"),
        new Reply.Array(List.of(Reply.error("WRONGTYPE " + RawText.of((byte) 0x80)))))) {
      Reply back = (Reply) s.fromBinary(s.toBinary(r), (Class<?>) null);
      assertArrayEquals(RespWriter.encode(r, 2), RespWriter.encode(back, 2), r.toString());
      assertArrayEquals(RespWriter.encode(r, 3), RespWriter.encode(back, 3), r.toString());
    }
  }
}
