// The store's checksum (src/store/xxh32.ts) against xxHash32's published test values, and the
// properties the store relies on: every byte counts, any alignment gives the same answer.
import { describe, expect, it } from 'vitest';
import { checksumOf, xxh32 } from '../../src/store/xxh32';

const text = (s: string) => new TextEncoder().encode(s);

describe('xxh32', () => {
  it('matches the reference implementation (seed 0)', () => {
    // Values from the xxHash reference (xxhsum -H0) / its spec's examples.
    expect(xxh32(new Uint8Array(0))).toBe(0x02cc5d05);
    expect(xxh32(text('a'))).toBe(0x550d7456);
    expect(xxh32(text('abc'))).toBe(0x32d153ff);
    expect(xxh32(text('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
    expect(xxh32(text('The quick brown fox jumps over the lazy dog'))).toBe(0xe85ea4de);
    expect(checksumOf(new Uint8Array(0))).toBe('xxh32:02cc5d05');
  });

  it('changes with any single flipped bit, and ignores where the bytes sit in memory', () => {
    const n = 1037; // stripes, words and tail bytes
    const base = new Uint8Array(n).map((_, i) => (i * 131 + 7) & 0xff);
    const h = xxh32(base);
    for (let i = 0; i < n; i += 13) {
      const b = base.slice();
      b[i] ^= 1 << (i % 8);
      expect(xxh32(b), `byte ${i}`).not.toBe(h);
    }
    for (const offset of [1, 2, 3]) {
      const big = new Uint8Array(n + offset);
      big.set(base, offset);
      expect(xxh32(big.subarray(offset))).toBe(h);
    }
  });
});
