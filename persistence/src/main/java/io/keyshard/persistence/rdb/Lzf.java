package io.keyshard.persistence.rdb;

import com.ning.compress.lzf.LZFException;
import com.ning.compress.lzf.impl.VanillaChunkDecoder;

/**
 * LZF-compressed strings of RDB (what Redis writes with {@code rdbcompression yes}, its
 * default): one raw LZF block, as liblzf makes it. Decoded by compress-lzf's safe decoder
 * (never the Unsafe one: the input is hostile), into an array of the announced size, which is
 * first checked against what the compressed bytes could possibly expand to.
 */
final class Lzf {
  private Lzf() {}

  /**
   * The most one compressed byte can produce: a three-byte back reference copies up to 264
   * bytes. A longer announced length cannot be honest, so nothing that large is allocated.
   */
  static final int MAX_EXPANSION = 88;

  private static final VanillaChunkDecoder DECODER = new VanillaChunkDecoder();

  static byte[] decompress(byte[] compressed, long length) throws RdbFormatException {
    if (length == 0) {
      // liblzf reports 0 bytes out on any failure, which Redis compares with the length 0.
      return new byte[0];
    }
    if (length > (long) compressed.length * MAX_EXPANSION || length > Integer.MAX_VALUE - 16) {
      throw new RdbFormatException("LZF length " + length + " from " + compressed.length + " bytes");
    }
    byte[] out = new byte[(int) length];
    try {
      // The decoder's own bounds are its arrays': corrupt input overruns one and throws. It
      // stops once the output is full, so compressed bytes left over are ignored (liblzf would
      // refuse them): harmless, the output is exactly what was announced.
      DECODER.decodeChunk(compressed, 0, out, 0, out.length);
    } catch (LZFException | RuntimeException e) {
      throw new RdbFormatException("invalid LZF data: " + e.getMessage());
    }
    return out;
  }
}
