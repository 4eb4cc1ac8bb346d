// Dataset fingerprints: a content hash (to tell "same data, resume" from "changed data, fresh
// from weights") plus a shape summary for people. Hashing goes through WebCrypto when it is there
// (Node 20, browsers in a secure context); a plain TS SHA-256 covers the rest (a page served over
// plain http from a LAN address has no crypto.subtle), so a fingerprint never depends on where
// the data was parsed.
import type { Fingerprint } from './types';

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}

/** hex SHA-256 of bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    // digest() wants a BufferSource over a plain ArrayBuffer; a view into a larger or shared
    // buffer is copied so only the view's bytes are hashed.
    const view =
      bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
    return toHex(new Uint8Array(await subtle.digest('SHA-256', view)));
  }
  return toHex(sha256Js(bytes));
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** Plain SHA-256 (FIPS 180-4); the fallback when WebCrypto is missing. Exported for tests. */
export function sha256Js(msg: Uint8Array): Uint8Array {
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  // Pad: 0x80, zeros, 64-bit big-endian bit length, to a multiple of 64 bytes.
  const padded = new Uint8Array(Math.ceil((msg.length + 9) / 64) * 64);
  padded.set(msg);
  padded[msg.length] = 0x80;
  const dv = new DataView(padded.buffer);
  dv.setUint32(padded.length - 8, Math.floor(msg.length / 0x20000000));
  dv.setUint32(padded.length - 4, (msg.length * 8) >>> 0);
  const w = new Uint32Array(64);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!, b = w[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) >>> 0;
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) >>> 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      k = g; g = f; f = e; e = (d + t1) >>> 0;
      d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0; h[1] = (h[1]! + b) >>> 0; h[2] = (h[2]! + c) >>> 0; h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0; h[5] = (h[5]! + f) >>> 0; h[6] = (h[6]! + g) >>> 0; h[7] = (h[7]! + k) >>> 0;
  }
  const out = new Uint8Array(32);
  const odv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) odv.setUint32(i * 4, h[i]!);
  return out;
}

/**
 * Content hash of a dataset: the SHA-256 of the bytes for one file; for several files the
 * SHA-256 of the lines `path \0 sha256(file) \n`, sorted by path (code-unit order, so it does
 * not depend on the locale or the order the browser listed the files in).
 */
export async function contentHash(files: { path: string; bytes: Uint8Array }[]): Promise<string> {
  if (files.length === 1) return sha256Hex(files[0]!.bytes);
  const entries = await Promise.all(files.map(async (f) => ({ path: f.path, hash: await sha256Hex(f.bytes) })));
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const text = entries.map((e) => `${e.path}\0${e.hash}\n`).join('');
  return sha256Hex(new TextEncoder().encode(text));
}

export function tabularFingerprint(
  sha256: string,
  f: { rows: number; features: number; label: string; task: string; classes: number },
): Fingerprint {
  const what = f.task === 'classification' ? `${f.classes} classes` : 'regression';
  return {
    sha256,
    summary: `csv ${f.rows} rows x ${f.features} features, label ${f.label} (${what})`,
    shape: { kind: 'tabular', rows: f.rows, features: f.features, label: f.label, task: f.task, classes: f.classes },
  };
}

export function imageFingerprint(
  sha256: string,
  f: { images: number; height: number; width: number; channels: number; classes: number },
): Fingerprint {
  return {
    sha256,
    summary: `images ${f.images} x ${f.height}x${f.width}x${f.channels}, ${f.classes} classes`,
    shape: { kind: 'image', images: f.images, height: f.height, width: f.width, channels: f.channels, classes: f.classes },
  };
}

export function textFingerprint(sha256: string, f: { characters: number; vocab: number }): Fingerprint {
  return {
    sha256,
    summary: `text ${f.characters} characters, vocabulary ${f.vocab}`,
    shape: { kind: 'text', characters: f.characters, vocab: f.vocab },
  };
}
