package io.keyshard.protocol;

/** Unwinds a parser or handler with a ready-made error reply. Caught where commands run. */
public final class RedisException extends RuntimeException {
  private final Reply reply;

  public RedisException(Reply reply) {
    super(reply instanceof Reply.Error e ? e.text() : String.valueOf(reply), null, false, false);
    this.reply = reply;
  }

  public Reply reply() {
    return reply;
  }
}
