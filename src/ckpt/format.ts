// The .ckpt byte format, version 1: a valid safetensors file with a tabtrain __metadata__ block and
// an integrity hash. Spec (and the canonical form hashed for integrity): docs/ckpt-format.md.
//
// This module runs in a Web Worker and in Node 20, so it uses only web-standard globals
// (TextEncoder/TextDecoder, DataView, crypto.subtle). The decoder reads hostile files: every
// length is checked against the file size before anything is allocated from it, and it is linear
// in the input size.

import { CkptError, formatShape, jsonErrorIndex, quote } from './errors';
import type { CkptContents, CkptDType, CkptTensor } from './types';

export const CKPT_FORMAT = 'tabtrain.ckpt';
export const CKPT_VERSION = '1';
/** Header cap: a real header is a few KB; this bounds what a hostile length can make us decode. */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** Tensor names; also keeps markup and path tricks out of anything that later shows a name. */
export const TENSOR_NAME_RE = /^(model|optim)\.[A-Za-z0-9_.]+$/;

const METADATA_KEYS = ['format', 'version', 'state', 'integrity'] as const;
const ENTRY_KEYS = new Set(['dtype', 'shape', 'data_offsets']);
const INTEGRITY_RE = /^sha256:[0-9a-f]{64}$/;
const BYTES_PER_ELEMENT = 4; // both F32 and I32
const TYPED_TAG: Record<CkptDType, string> = {
  F32: '[object Float32Array]',
  I32: '[object Int32Array]',
};

type Json = Record<string, unknown>;
interface Entry {
  name: string;
  dtype: CkptDType;
  shape: number[];
  begin: number;
  end: number;
}

// ---------------------------------------------------------------------------------------------
// Encode

export async function encodeCkpt(contents: CkptContents): Promise<Uint8Array> {
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

  // Hash input = canonical JSON, then the data buffer; the tensors are written straight into it.
  const canonical = utf8(canonicalString(CKPT_FORMAT, CKPT_VERSION, state, entries));
  const hashed = new Uint8Array(canonical.length + offset);
  hashed.set(canonical);
  contents.tensors.forEach((t, i) => hashed.set(bytesOf(t), canonical.length + entries[i]!.begin));
  const integrity = `sha256:${await sha256Hex(hashed)}`;

  const header: Json = {};
  for (const e of entries) header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [e.begin, e.end] };
  header.__metadata__ = { format: CKPT_FORMAT, version: CKPT_VERSION, state, integrity };
  const json = utf8(JSON.stringify(header));
  // Space padding (allowed by safetensors) so the data buffer starts 8-byte aligned in the file.
  const n = Math.ceil((8 + json.length) / 8) * 8 - 8;
  if (n > MAX_HEADER_BYTES) {
    // Never write a file our own decoder would refuse.
    throw new CkptError('bad_header_length', `header would be ${n} bytes, over the ${MAX_HEADER_BYTES / 1048576} MiB limit (state too large?)`);
  }

  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  out.set(hashed.subarray(canonical.length), 8 + n);
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

function bytesOf(t: CkptTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Decode

export async function decodeCkpt(bytes: Uint8Array): Promise<CkptContents> {
  assertLittleEndian();
  if (Object.prototype.toString.call(bytes) !== '[object Uint8Array]') {
    throw new TypeError('decodeCkpt expects the file as a Uint8Array (wrap an ArrayBuffer in new Uint8Array(...))');
  }
  const size = bytes.length;
  if (size < 8) {
    throw new CkptError('truncated', `not a .ckpt file: file is ${size} bytes, shorter than the 8-byte header length`);
  }
  // BigInt so a hostile 2^64-1 is reported exactly, and compared before anything is allocated.
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(size - 8)) {
    throw new CkptError('bad_header_length', `header length ${n64} exceeds file size ${size}`);
  }
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new CkptError('bad_header_length', `header length ${n64} exceeds the ${MAX_HEADER_BYTES / 1048576} MiB limit`);
  }
  if (n64 === 0n) throw new CkptError('bad_header_length', 'header length is 0');
  const dataStart = 8 + Number(n64);
  const bufLen = size - dataStart;
  const header = parseHeader(bytes.subarray(8, dataStart));

  const meta = readMetadata(header);
  const entries = readEntries(header, bufLen);

  const canonical = utf8(canonicalString(meta.format, meta.version, meta.state, entries));
  const hashed = new Uint8Array(canonical.length + bufLen);
  hashed.set(canonical);
  hashed.set(bytes.subarray(dataStart), canonical.length);
  if (`sha256:${await sha256Hex(hashed)}` !== meta.integrity) {
    throw new CkptError('integrity', 'integrity check failed: the file is corrupted (sha256 mismatch)');
  }

  let state: unknown;
  try {
    state = JSON.parse(meta.state);
  } catch {
    throw new CkptError('bad_state', 'state is not valid JSON');
  }
  if (!isPlainObject(state)) throw new CkptError('bad_state', 'state is not a JSON object');

  const tensors = entries.map((e): CkptTensor => {
    // Copy into a fresh, 0-aligned buffer: the caller's array may sit at any byte offset, and the
    // result must not alias (or keep alive) the input file. Not bytes.slice(): on a Node Buffer
    // that is a view into Buffer's shared pool, whose .buffer holds unrelated bytes.
    const raw = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end)).buffer;
    const data = e.dtype === 'F32' ? new Float32Array(raw) : new Int32Array(raw);
    return { name: e.name, dtype: e.dtype, shape: e.shape, data };
  });
  return { state, tensors };
}

function parseHeader(raw: Uint8Array): Json {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw new CkptError('bad_json', 'header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    // Engines disagree on whether (and how) they report the position, so find it ourselves.
    const index = jsonErrorIndex(text);
    const at = utf8(text.slice(0, index)).length;
    const end = index >= text.length ? ', unexpected end' : '';
    throw new CkptError('bad_json', `header is not valid JSON at byte ${at} of the header (file offset ${8 + at}${end})`);
  }
  if (!isPlainObject(header)) throw new CkptError('bad_header', 'header is not a JSON object');
  // safetensors requires the header to start with '{' and pads only with spaces; JSON.parse
  // would also accept other whitespace, so check the bytes.
  const last = text.lastIndexOf('}');
  if (text[0] !== '{' || !/^ *$/.test(text.slice(last + 1))) {
    throw new CkptError('bad_header', "header must be a JSON object starting with '{' and padded only with spaces");
  }
  return header;
}

function readMetadata(header: Json): Record<(typeof METADATA_KEYS)[number], string> {
  if (!Object.hasOwn(header, '__metadata__')) {
    throw new CkptError('wrong_format', 'not a .ckpt file: the header has no __metadata__ (a plain safetensors file?)');
  }
  const meta = header.__metadata__;
  if (!isPlainObject(meta)) throw new CkptError('bad_metadata', '__metadata__ is not an object');
  // format and version first: a foreign file should say so, not fail on a detail.
  if (!Object.hasOwn(meta, 'format')) {
    throw new CkptError('wrong_format', "not a .ckpt file: metadata has no 'format' (expected 'tabtrain.ckpt')");
  }
  if (meta.format !== CKPT_FORMAT) {
    throw new CkptError('wrong_format', `format is ${quote(meta.format)}, expected '${CKPT_FORMAT}'`);
  }
  if (!Object.hasOwn(meta, 'version')) throw new CkptError('bad_metadata', "metadata missing key 'version'");
  if (meta.version !== CKPT_VERSION) {
    const v = typeof meta.version === 'string' && /^\d{1,9}$/.test(meta.version) ? meta.version : quote(meta.version);
    throw new CkptError('unsupported_version', `unsupported version ${v} (this build reads version ${CKPT_VERSION})`);
  }
  const known = new Set<string>(METADATA_KEYS);
  for (const k of Object.keys(meta)) {
    if (!known.has(k)) throw new CkptError('bad_metadata', `unknown key ${quote(k)} in metadata`);
  }
  for (const k of METADATA_KEYS) {
    if (!Object.hasOwn(meta, k)) throw new CkptError('bad_metadata', `metadata missing key '${k}'`);
    if (typeof meta[k] !== 'string') {
      throw new CkptError('bad_metadata', `metadata value '${k}' is not a string (safetensors metadata is string to string)`);
    }
  }
  const out = meta as Record<(typeof METADATA_KEYS)[number], string>;
  if (!INTEGRITY_RE.test(out.integrity)) {
    throw new CkptError('bad_metadata', `integrity ${quote(out.integrity)} is not of the form sha256:<64 lowercase hex digits>`);
  }
  // A lone surrogate (from a \ud800 escape) has no UTF-8 form, so the hash would be ill-defined.
  if (/\p{Cs}/u.test(out.state)) throw new CkptError('bad_metadata', 'metadata value \'state\' contains a lone surrogate');
  return out;
}

/** Validates every tensor entry and the buffer layout: contiguous, in header order, no holes. */
function readEntries(header: Json, bufLen: number): Entry[] {
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

// ---------------------------------------------------------------------------------------------
// Shared helpers

/**
 * The exact string hashed (as UTF-8, followed by the data buffer) for `integrity`. Equivalent to
 * Python's json.dumps(obj, separators=(',', ':'), ensure_ascii=False); see docs/ckpt-format.md.
 */
function canonicalString(format: string, version: string, state: string, entries: readonly Entry[]): string {
  const tensors = entries.map((e) => [e.name, e.dtype, e.shape, [e.begin, e.end]]);
  return JSON.stringify({ format, version, state, tensors });
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !TENSOR_NAME_RE.test(name)) {
    throw new CkptError('bad_name', `tensor name ${quote(name)} is not allowed (names must match ${TENSOR_NAME_RE.source})`);
  }
}

/** Element count of a shape, checked: an array of non-negative safe integers, product safe. */
function elementCount(name: string, shape: unknown): number {
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

function isIndex(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** -0 parses from "-0" and passes isSafeInteger; store +0 so shapes compare and print cleanly. */
function normZero(n: number): number {
  return n === 0 ? 0 : n;
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function utf8(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s);
}

async function sha256Hex(data: Uint8Array<ArrayBuffer>): Promise<string> {
  // Browsers hide crypto.subtle outside secure contexts; say so instead of a bare TypeError.
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('crypto.subtle is unavailable: serve the app over https or from localhost');
  const digest = new Uint8Array(await subtle.digest('SHA-256', data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The byte layout is little-endian; typed arrays use the host's order, which must match. */
function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('tabtrain .ckpt files need a little-endian host');
  }
}
