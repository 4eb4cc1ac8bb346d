// xxHash32 (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md), seed 0: the
// checksum of checkpoint bodies in the browser's store (docs/storage.md, "Checkpoint bodies").
//
// Why not SHA-256 there: Chromium's crypto.subtle.digest runs on the calling thread (measured:
// ~7 ms for 3.2 MB, ~450 MB/s, the call itself blocking), which would cost half of an IndexedDB
// read on every load. The store only guards against damage to its own bytes (bit rot,
// truncation), for which a 32-bit checksum is what zip, PNG and LevelDB use; this one runs at
// ~3 GB/s in V8. Files that leave the browser keep the format's SHA-256 integrity.

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

/** xxHash32 of the bytes (seed 0) as an unsigned 32-bit integer. Little-endian hosts only. */
export function xxh32(input: Uint8Array): number {
  // Word reads need a 4-aligned view; stored bodies always are, anything else is copied once.
  const bytes = input.byteOffset % 4 === 0 ? input : new Uint8Array(input);
  const n = bytes.length;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n >>> 2);
  const nw = words.length;
  let i = 0;
  let h: number;
  if (n >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = -P1 | 0;
    for (const last = nw - 4; i <= last; i += 4) {
      v1 = Math.imul(rotl((v1 + Math.imul(words[i]!, P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(words[i + 1]!, P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(words[i + 2]!, P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(words[i + 3]!, P2)) | 0, 13), P1);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = P5;
  }
  h = (h + n) | 0;
  for (; i < nw; i++) h = Math.imul(rotl((h + Math.imul(words[i]!, P3)) | 0, 17), P4);
  for (let j = nw * 4; j < n; j++) h = Math.imul(rotl((h + Math.imul(bytes[j]!, P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `xxh32:<8 hex digits>`, as stored in a checkpoint body's metadata. */
export function checksumOf(bytes: Uint8Array): string {
  return `xxh32:${xxh32(bytes).toString(16).padStart(8, '0')}`;
}
