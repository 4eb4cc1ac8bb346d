// A plain safetensors file (weights saved from PyTorch, no tabtrain metadata), read as strictly as
// a .ckpt: the same header-length, JSON, entry and layout checks (layout.ts readEntries' rules),
// but no state and no integrity hash, since such a file has neither. Only `tabtrain fresh` uses
// it: a plain file can start a new run from its weights, never resume one (there is no optimizer,
// schedule or data position to continue). decodeCkpt (format.ts) stays strict and separate.
//
// Floats other than F32 (F16, BF16, F64: what torch.save_file writes for half or double models)
// are widened or narrowed to float32 here, as the Python side does (astype(float32)); integer and
// bool tensors are refused: they are not weights.

import { CkptError, formatShape, quote } from './errors';
import type { CkptTensor } from './types';
import { elementCount, isIndex, isPlainObject, MAX_HEADER_BYTES, normZero, type Json } from './layout';
import { parseHeader } from './format';

export interface PlainWeights {
  /** safetensors' __metadata__ (string to string), {} when absent. */
  metadata: Record<string, string>;
  tensors: CkptTensor[];
}

const BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
const ENTRY_KEYS = new Set(['dtype', 'shape', 'data_offsets']);
/** What a plain file's tensors must be named: tabtrain's own `model.<path>` (a checked alphabet). */
export const PLAIN_NAME_RE = /^model\.[A-Za-z0-9_.]+$/;

export function decodePlainSafetensors(bytes: Uint8Array): PlainWeights {
  const size = bytes.length;
  if (size < 8) throw new CkptError('truncated', `not a safetensors file: file is ${size} bytes, shorter than the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(size - 8)) throw new CkptError('bad_header_length', `header length ${n64} exceeds file size ${size}`);
  if (n64 > BigInt(MAX_HEADER_BYTES)) throw new CkptError('bad_header_length', `header length ${n64} exceeds the ${MAX_HEADER_BYTES / 1048576} MiB limit`);
  if (n64 === 0n) throw new CkptError('bad_header_length', 'header length is 0');
  const dataStart = 8 + Number(n64);
  const header = parseHeader(bytes.subarray(8, dataStart)); // the .ckpt decoder's own checks
  const metadata = readMetadata(header);
  return { metadata, tensors: readTensors(header, bytes.subarray(dataStart)) };
}

function readMetadata(header: Json): Record<string, string> {
  if (!Object.hasOwn(header, '__metadata__')) return {};
  const meta = header.__metadata__;
  if (!isPlainObject(meta)) throw new CkptError('bad_metadata', '__metadata__ is not an object');
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== 'string') throw new CkptError('bad_metadata', `metadata value ${quote(k)} is not a string (safetensors metadata is string to string)`);
  }
  return meta as Record<string, string>;
}

/**
 * Every entry checked before anything is allocated from it. safetensors lets a writer order the
 * header's keys freely (torch sorts them by name, the buffer by size), so the entries are checked
 * in buffer order: contiguous from 0, no overlap, no gap, no trailing bytes.
 */
function readTensors(header: Json, buf: Uint8Array): CkptTensor[] {
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const name of Object.keys(header)) {
    if (name === '__metadata__') continue;
    const e = header[name];
    if (!isPlainObject(e)) throw new CkptError('bad_header', `tensor ${quote(name)}: entry is not an object`);
    for (const k of Object.keys(e)) if (!ENTRY_KEYS.has(k)) throw new CkptError('bad_header', `unknown key ${quote(k)} in tensor entry ${quote(name)}`);
    for (const k of ENTRY_KEYS) if (!Object.hasOwn(e, k)) throw new CkptError('bad_header', `tensor ${quote(name)}: entry missing key '${k}'`);
    if (typeof e.dtype !== 'string' || !(e.dtype in BYTES)) {
      throw new CkptError('unknown_dtype', `tensor ${quote(name)}: dtype ${quote(e.dtype)} is not a float (this reader takes F32, F64, F16 and BF16 weights)`);
    }
    const count = elementCount(quote(name), e.shape);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isIndex) || offs[0] > offs[1]) {
      throw new CkptError('bad_offsets', `tensor ${quote(name)}: data_offsets ${quote(offs)} must be [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offs as [number, number];
    if (end > buf.length) throw new CkptError('bad_offsets', `tensor ${quote(name)}: data_offsets [${begin}, ${end}] out of range (buffer is ${buf.length} bytes; truncated file?)`);
    if (count * BYTES[e.dtype]! !== end - begin) {
      throw new CkptError('bad_shape', `tensor ${quote(name)}: shape ${formatShape(e.shape as number[])} needs ${count * BYTES[e.dtype]!} bytes but data_offsets give ${end - begin}`);
    }
    entries.push({ name, dtype: e.dtype, shape: (e.shape as number[]).map(normZero), begin, end });
  }
  let expected = 0;
  for (const e of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (e.begin < expected) throw new CkptError('overlap', `tensor ${quote(e.name)} overlaps the one before it in the data buffer`);
    if (e.begin > expected) throw new CkptError('gap', `gap in the data buffer before ${quote(e.name)} (bytes ${expected} to ${e.begin} belong to no tensor)`);
    expected = e.end;
  }
  if (expected !== buf.length) throw new CkptError('trailing_bytes', `${buf.length - expected} trailing bytes after the last tensor`);
  return entries.map((e): CkptTensor => ({ name: e.name, dtype: 'F32', shape: e.shape, data: toF32(e.dtype, buf.subarray(e.begin, e.end)) }));
}

/** A fresh float32 copy (never a view into the file; the file's offsets need not be aligned). */
function toF32(dtype: string, raw: Uint8Array): Float32Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.byteLength / BYTES[dtype]!;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'F32') out[i] = dv.getFloat32(4 * i, true);
    else if (dtype === 'F64') out[i] = dv.getFloat64(8 * i, true);
    else if (dtype === 'BF16') out[i] = bf16(dv.getUint16(2 * i, true));
    else out[i] = f16(dv.getUint16(2 * i, true));
  }
  return out;
}

const SCRATCH = new DataView(new ArrayBuffer(4));
function bf16(h: number): number {
  SCRATCH.setUint32(0, h << 16);
  return SCRATCH.getFloat32(0);
}
function f16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
