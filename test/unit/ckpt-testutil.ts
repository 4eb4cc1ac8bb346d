// Shared helpers for the ckpt tests: sample contents, byte-level comparison, and a file crafter
// that builds .ckpt bytes from a raw header (so tests can write files the encoder never would).
// The crafter computes the integrity hash itself from docs/ckpt-format.md with node:crypto, so it
// also checks that the spec and src/ckpt/format.ts agree.

import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { CkptError, type CkptErrorCode } from '../../src/ckpt/errors';
import type { CkptContents, CkptTensor } from '../../src/ckpt/types';

export type Header = Record<string, unknown>;

/** Deterministic xorshift32; seed must be non-zero. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Two small tensors plus a scalar: the "small" file of the tests. */
export function smallContents(): CkptContents {
  return {
    state: { step: 12, rng: [1, 2, 3, 4], note: 'héllo "quoted"\n' },
    tensors: [
      { name: 'model.dense.kernel', dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2, 0.5, -0, 3.25, 1e-40]) },
      { name: 'model.dense.bias', dtype: 'F32', shape: [3], data: new Float32Array([0.1, 0.2, 0.3]) },
      { name: 'optim.step', dtype: 'I32', shape: [], data: new Int32Array([12]) },
    ],
  };
}

/** ~20 tensors of mixed dtypes and shapes, including an empty one, from a seeded PRNG. */
export function mediumContents(seed = 7, count = 20): CkptContents {
  const rnd = xorshift(seed);
  const tensors: CkptTensor[] = [];
  for (let i = 0; i < count; i++) {
    const shape = i === 5 ? [0, 4] : i % 7 === 3 ? [] : [1 + (rnd() % 5), 1 + (rnd() % 4)];
    const n = shape.reduce((a, b) => a * b, 1);
    const words = Uint32Array.from({ length: n }, () => rnd());
    const dtype = i % 3 === 2 ? 'I32' : 'F32';
    const data = dtype === 'F32' ? new Float32Array(words.buffer) : new Int32Array(words.buffer);
    tensors.push({ name: `${i % 4 === 3 ? 'optim' : 'model'}.layer_${i}.w`, dtype, shape, data });
  }
  return { state: { step: 99, seed, config: { lr: 0.001, layers: [4, 8, 3] } }, tensors };
}

export function bytesOf(t: CkptTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Byte-exact comparison (NaN payloads and -0 included); returns a reason or null. */
export function diffContents(a: CkptContents, b: CkptContents): string | null {
  if (JSON.stringify(a.state) !== JSON.stringify(b.state)) return 'state differs';
  if (a.tensors.length !== b.tensors.length) return 'tensor count differs';
  for (let i = 0; i < a.tensors.length; i++) {
    const x = a.tensors[i]!;
    const y = b.tensors[i]!;
    if (x.name !== y.name || x.dtype !== y.dtype) return `tensor ${i} name/dtype differs`;
    if (JSON.stringify(x.shape) !== JSON.stringify(y.shape)) return `${x.name} shape differs`;
    if (Object.prototype.toString.call(x.data) !== Object.prototype.toString.call(y.data)) return `${x.name} array type differs`;
    if (Buffer.compare(bytesOf(x), bytesOf(y)) !== 0) return `${x.name} bytes differ`;
  }
  return null;
}

/** Splits a file into its parsed header and data buffer (trusting it: only for files we wrote). */
export function splitCkpt(bytes: Uint8Array): { header: Header; headerText: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  return { header: JSON.parse(headerText) as Header, headerText, data: bytes.slice(8 + n) };
}

/** The integrity value for a header + data, computed from the spec with node:crypto. */
export function specIntegrity(header: Header, data: Uint8Array): string {
  const meta = header.__metadata__ as Record<string, string>;
  const tensors = Object.keys(header)
    .filter((k) => k !== '__metadata__')
    .map((k) => {
      const e = header[k] as { dtype: string; shape: number[]; data_offsets: number[] };
      return [k, e.dtype, e.shape, e.data_offsets];
    });
  const canonical = JSON.stringify({ format: meta.format, version: meta.version, state: meta.state, tensors });
  return `sha256:${createHash('sha256').update(canonical, 'utf8').update(data).digest('hex')}`;
}

/**
 * Builds file bytes from a header (object, or raw text) and a data buffer. The header is padded
 * with spaces to 8-byte alignment unless `pad: false`; `fixIntegrity` recomputes the hash so a
 * test can reach the checks that come after integrity; `headerLength` overrides the u64 prefix.
 */
export function craft(
  header: Header | string,
  data: Uint8Array,
  opts: { fixIntegrity?: boolean; pad?: boolean; headerLength?: bigint } = {},
): Uint8Array {
  if (opts.fixIntegrity && typeof header !== 'string') {
    const meta = header.__metadata__ as Record<string, string>;
    meta.integrity = specIntegrity(header, data);
  }
  let json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  if (opts.pad !== false) {
    const n = Math.ceil((8 + json.length) / 8) * 8 - 8;
    json = Buffer.concat([json, Buffer.alloc(n - json.length, 0x20)]);
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Runs `fn` and asserts it throws a CkptError with this code and a message matching `msg`. */
export async function expectCkptError(fn: () => Promise<unknown>, code: CkptErrorCode, msg?: RegExp | string): Promise<CkptError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a CkptError').toBeInstanceOf(CkptError);
  const err = caught as CkptError;
  expect({ code: err.code, message: err.message }).toMatchObject({ code });
  if (msg !== undefined) expect(err.message).toMatch(msg);
  expect(err.message).not.toContain('\n');
  return err;
}
