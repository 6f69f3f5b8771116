package io.keyshard.protocol;

/**
 * The limits {@link RespDecoder} enforces, mutable because Redis changes them at run time: CONFIG
 * SET proto-max-bulk-len, and AUTH lifting the pre-authentication limits.
 */
public final class DecoderLimits {
  /** Redis's PROTO_INLINE_MAX_SIZE: also bounds a {@code *}/{@code $} header line. */
  public static final int DEFAULT_INLINE_MAX = 64 * 1024;
  /** Redis 7.0 rejects a multibulk count above INT_MAX (6.2 and older: above 1024*1024). */
  public static final long DEFAULT_MAX_MULTIBULK = Integer.MAX_VALUE;
  public static final long DEFAULT_PROTO_MAX_BULK_LEN = 512L * 1024 * 1024;
  /** Redis 7.0 hard-codes these two for clients that still have to authenticate. */
  public static final long DEFAULT_UNAUTHENTICATED_MAX_MULTIBULK = 10;
  public static final long DEFAULT_UNAUTHENTICATED_MAX_BULK_LEN = 16384;

  // Volatile: AUTH and CONFIG SET may update them from another thread than the decoder's.
  private volatile long protoMaxBulkLen = DEFAULT_PROTO_MAX_BULK_LEN;
  private volatile int inlineMax = DEFAULT_INLINE_MAX;
  private volatile long maxMultibulk = DEFAULT_MAX_MULTIBULK;
  private volatile boolean authenticated = true;
  private volatile long unauthenticatedMaxMultibulk = DEFAULT_UNAUTHENTICATED_MAX_MULTIBULK;
  private volatile long unauthenticatedMaxBulkLen = DEFAULT_UNAUTHENTICATED_MAX_BULK_LEN;

  public long getProtoMaxBulkLen() {
    return protoMaxBulkLen;
  }

  public DecoderLimits setProtoMaxBulkLen(long protoMaxBulkLen) {
    this.protoMaxBulkLen = protoMaxBulkLen;
    return this;
  }

  public int getInlineMax() {
    return inlineMax;
  }

  public DecoderLimits setInlineMax(int inlineMax) {
    this.inlineMax = inlineMax;
    return this;
  }

  public long getMaxMultibulk() {
    return maxMultibulk;
  }

  public DecoderLimits setMaxMultibulk(long maxMultibulk) {
    this.maxMultibulk = maxMultibulk;
    return this;
  }

  public boolean isAuthenticated() {
    return authenticated;
  }

  public DecoderLimits setAuthenticated(boolean authenticated) {
    this.authenticated = authenticated;
    return this;
  }

  public long getUnauthenticatedMaxMultibulk() {
    return unauthenticatedMaxMultibulk;
  }

  public DecoderLimits setUnauthenticatedMaxMultibulk(long unauthenticatedMaxMultibulk) {
    this.unauthenticatedMaxMultibulk = unauthenticatedMaxMultibulk;
    return this;
  }

  public long getUnauthenticatedMaxBulkLen() {
    return unauthenticatedMaxBulkLen;
  }

  public DecoderLimits setUnauthenticatedMaxBulkLen(long unauthenticatedMaxBulkLen) {
    this.unauthenticatedMaxBulkLen = unauthenticatedMaxBulkLen;
    return this;
  }
}
