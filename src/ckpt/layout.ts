// What the .ckpt file (format.ts) and the store's form of a checkpoint (body.ts) share: the
// constants, the checked tensor layout, the canonical string the integrity hash covers, and the
// header. Spec: docs/ckpt-format.md. Web-standard globals only (runs in a worker and in Node).

import { CkptError, formatShape, quote } from './errors';
import type { CkptContents, CkptDType, CkptTensor } from './types';
import { TabtrainError } from '../errors';

export const CKPT_FORMAT = 'tabtrain.ckpt';
export const CKPT_VERSION = '1';
/** Header cap: a real header is a few KB; this bounds what a hostile length can make us decode. */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** Tensor names; also keeps markup and path tricks out of anything that later shows a name. */
export const TENSOR_NAME_RE = /^(model|optim)\.[A-Za-z0-9_.]+$/;

const ENTRY_KEYS = new Set(['dtype', 'shape', 'data_offsets']);
const BYTES_PER_ELEMENT = 4; // both F32 and I32
const TYPED_TAG: Record<CkptDType, string> = {
  F32: '[object Float32Array]',
  I32: '[object Int32Array]',
};

export type Json = Record<string, unknown>;
export interface Entry {
  name: string;
  dtype: CkptDType;
  shape: number[];
  begin: number;
  end: number;
}

/** A checked plan of the bytes: the state as JSON text, every tensor's place in the data buffer. */
export interface Layout {
  state: string;
  entries: Entry[];
  /** data buffer bytes. */
  size: number;
}

/** Checks contents before anything is written and lays the tensors out back to back, in order. */
export function layoutOf(contents: CkptContents): Layout {
  assertLittleEndian();
  const state = stringifyState(contents.state);
  const seen = new Set<string>();
  const entries: Entry[] = [];
  let offset = 0;
  for (const t of contents.tensors) {
    checkName(t.name);
    if (seen.has(t.name)) throw new CkptError('bad_name', `duplicate tensor name ${t.name}`);
    seen.add(t.name);
    if (t.dtype !== 'F32' && t.dtype !== 'I32') {
      throw new CkptError('unknown_dtype', `tensor ${t.name}: unknown dtype ${quote(t.dtype)}`);
    }
    const count = elementCount(t.name, t.shape);
    // toString tag instead of instanceof: arrays from another realm (worker, vm) are still fine.
    if (Object.prototype.toString.call(t.data) !== TYPED_TAG[t.dtype]) {
      const got = Object.prototype.toString.call(t.data).slice(8, -1);
      throw new CkptError('bad_tensor', `tensor ${t.name}: dtype ${t.dtype} needs its data as ${TYPED_TAG[t.dtype].slice(8, -1)}, got ${got}`);
    }
    if (t.data.length !== count) {
      throw new CkptError('bad_shape', `tensor ${t.name}: shape ${formatShape(t.shape)} has ${count} elements but data has ${t.data.length}`);
    }
    const begin = offset;
    offset += count * BYTES_PER_ELEMENT;
    entries.push({ name: t.name, dtype: t.dtype, shape: t.shape.map(normZero), begin, end: offset });
  }
  return { state, entries, size: offset };
}

/** Copies every tensor's bytes into `out` at `at` + its offset (one copy, no temporaries). */
export function writeData(tensors: readonly CkptTensor[], entries: readonly Entry[], out: Uint8Array, at: number): void {
  tensors.forEach((t, i) => out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at + entries[i]!.begin));
}

/** Tensors as views into `buf` (the data buffer at byte `at`, which must be 4-aligned). */
export function viewTensors(entries: readonly Entry[], buf: ArrayBuffer, at: number): CkptTensor[] {
  return entries.map((e): CkptTensor => {
    const n = (e.end - e.begin) / BYTES_PER_ELEMENT;
    const data = e.dtype === 'F32' ? new Float32Array(buf, at + e.begin, n) : new Int32Array(buf, at + e.begin, n);
    return { name: e.name, dtype: e.dtype, shape: e.shape, data };
  });
}

/**
 * The file's header JSON (with the integrity filled in) and its padded length N: space padding
 * (allowed by safetensors) so that the data buffer starts 8-byte aligned in the file.
 */
function fileHeader(layout: Layout, integrity: string): { json: Uint8Array; n: number } {
  const header: Json = {};
  for (const e of layout.entries) header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [e.begin, e.end] };
  header.__metadata__ = { format: CKPT_FORMAT, version: CKPT_VERSION, state: layout.state, integrity };
  const json = utf8(JSON.stringify(header));
  const n = Math.ceil((8 + json.length) / 8) * 8 - 8;
  if (n > MAX_HEADER_BYTES) {
    // Never write a file our own decoder would refuse.
    throw new CkptError('bad_header_length', `header would be ${n} bytes, over the ${MAX_HEADER_BYTES / 1048576} MiB limit (state too large?)`);
  }
  return { json, n };
}

/** The whole .ckpt file: length, header, padding, then the data buffer copied from `data`. */
export function fileBytes(layout: Layout, integrity: string, data: Uint8Array): Uint8Array {
  const { json, n } = fileHeader(layout, integrity);
  const out = new Uint8Array(8 + n + layout.size);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  out.set(data.subarray(0, layout.size), 8 + n);
  return out;
}

function stringifyState(state: unknown): string {
  if (!isPlainObject(state)) throw new CkptError('bad_state', 'state must be a JSON object');
  let s: string | undefined;
  try {
    s = JSON.stringify(state);
  } catch (e) {
    // V8's cycle message spans several lines; the first says enough.
    throw new CkptError('bad_state', `state is not JSON-serialisable: ${String((e as Error).message).split('\n')[0]}`);
  }
  if (typeof s !== 'string') throw new CkptError('bad_state', 'state is not JSON-serialisable');
  return s;
}

/** Validates every tensor entry and the buffer layout: contiguous, in header order, no holes. */
export function readEntries(header: Json, bufLen: number): Entry[] {
  const entries: Entry[] = [];
  let expected = 0; // where the next tensor must begin
  for (const name of Object.keys(header)) {
    if (name === '__metadata__') continue;
    checkName(name);
    const entry = header[name];
    if (!isPlainObject(entry)) throw new CkptError('bad_header', `tensor ${name}: entry is not an object`);
    for (const k of Object.keys(entry)) {
      if (!ENTRY_KEYS.has(k)) throw new CkptError('bad_header', `unknown key ${quote(k)} in tensor entry ${name}`);
    }
    for (const k of ENTRY_KEYS) {
      if (!Object.hasOwn(entry, k)) throw new CkptError('bad_header', `tensor ${name}: entry missing key '${k}'`);
    }
    const { dtype, shape, data_offsets: offs } = entry;
    if (typeof dtype !== 'string') throw new CkptError('bad_header', `tensor ${name}: dtype is not a string`);
    if (dtype !== 'F32' && dtype !== 'I32') {
      throw new CkptError('unknown_dtype', `tensor ${name}: unknown dtype ${quote(dtype).replace(/^'(.*)'$/, '$1')} (this build reads F32 and I32)`);
    }
    const count = elementCount(name, shape);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isIndex) || offs[0] > offs[1]) {
      throw new CkptError('bad_offsets', `tensor ${name}: data_offsets ${quote(offs)} must be [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = (offs as number[]).map(normZero) as [number, number];
    if (end > bufLen) {
      throw new CkptError('bad_offsets', `tensor ${name}: data_offsets [${begin}, ${end}] out of range (buffer is ${bufLen} bytes; truncated file?)`);
    }
    if (begin < expected) {
      const other = entries.find((e) => e.begin <= begin && begin < e.end) ?? entries[entries.length - 1]!;
      throw new CkptError('overlap', `tensors ${other.name} and ${name} overlap`);
    }
    if (begin > expected) {
      throw new CkptError('gap', `gap in the data buffer before ${name} (bytes ${expected} to ${begin} belong to no tensor)`);
    }
    if (count * BYTES_PER_ELEMENT !== end - begin) {
      throw new CkptError('bad_shape', `tensor ${name}: shape ${formatShape(shape as number[])} needs ${count * BYTES_PER_ELEMENT} bytes but data_offsets give ${end - begin}`);
    }
    entries.push({ name, dtype, shape: (shape as number[]).map(normZero), begin, end });
    expected = end;
  }
  if (expected !== bufLen) {
    throw new CkptError('trailing_bytes', `${bufLen - expected} trailing bytes after the last tensor (data buffer is ${bufLen} bytes, tensors use ${expected})`);
  }
  return entries;
}

/**
 * The exact string hashed (as UTF-8, followed by the data buffer) for `integrity`. Equivalent to
 * Python's json.dumps(obj, separators=(',', ':'), ensure_ascii=False); see docs/ckpt-format.md.
 */
export function canonicalString(format: string, version: string, state: string, entries: readonly Entry[]): string {
  const tensors = entries.map((e) => [e.name, e.dtype, e.shape, [e.begin, e.end]]);
  return JSON.stringify({ format, version, state, tensors });
}

export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !TENSOR_NAME_RE.test(name)) {
    throw new CkptError('bad_name', `tensor name ${quote(name)} is not allowed (names must match ${TENSOR_NAME_RE.source})`);
  }
}

/** Element count of a shape, checked: an array of non-negative safe integers, product safe. */
export function elementCount(name: string, shape: unknown): number {
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw new CkptError('bad_shape', `tensor ${name}: shape ${quote(shape)} is not a list of non-negative integers`);
  }
  if (shape.includes(0)) return 0; // before multiplying, so [huge, 0] is not an overflow
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    // Rounding is monotonic, so a true product past 2^53 - 1 cannot round back below it.
    if (count > Number.MAX_SAFE_INTEGER / BYTES_PER_ELEMENT) {
      throw new CkptError('bad_shape', `tensor ${name}: shape ${formatShape(shape)} has too many elements`);
    }
  }
  return count;
}

export function isIndex(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** -0 parses from "-0" and passes isSafeInteger; store +0 so shapes compare and print cleanly. */
export function normZero(n: number): number {
  return n === 0 ? 0 : n;
}

export function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function utf8(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s);
}

export async function sha256Hex(data: Uint8Array<ArrayBuffer>): Promise<string> {
  // Browsers hide crypto.subtle outside secure contexts; say so instead of a bare TypeError.
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new TabtrainError('unsupported_environment', 'crypto.subtle is unavailable: serve the app over https or from localhost');
  const digest = new Uint8Array(await subtle.digest('SHA-256', data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The byte layout is little-endian; typed arrays use the host's order, which must match. */
export function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new TabtrainError('unsupported_environment', 'tabtrain .ckpt files need a little-endian host');
  }
}
