// The .ckpt byte format, version 1: a valid safetensors file with a tabtrain __metadata__ block and
// an integrity hash. Spec (and the canonical form hashed for integrity): docs/ckpt-format.md.
//
// This module runs in a Web Worker and in Node 20, so it uses only web-standard globals
// (TextEncoder/TextDecoder, DataView, crypto.subtle). The decoder reads hostile files: every
// length is checked against the file size before anything is allocated from it, and it is linear
// in the input size.

import { CkptError, jsonErrorIndex, quote } from './errors';
import { bodyFromData, bodyToFile, integrityOf, makeBody } from './body';
import { assertLittleEndian, CKPT_FORMAT, CKPT_VERSION, isPlainObject, MAX_HEADER_BYTES, readEntries, utf8, type Json, type Layout } from './layout';
import type { CkptContents, CkptTensor } from './types';

export { CKPT_FORMAT, CKPT_VERSION, MAX_HEADER_BYTES, TENSOR_NAME_RE } from './layout';

const METADATA_KEYS = ['format', 'version', 'state', 'integrity'] as const;
const INTEGRITY_RE = /^sha256:[0-9a-f]{64}$/;

// ---------------------------------------------------------------------------------------------
// Encode

export async function encodeCkpt(contents: CkptContents): Promise<Uint8Array> {
  // Tensors copied once into canonical ++ data (the hash input), then once into the file.
  const body = makeBody(contents);
  return bodyToFile(body, await integrityOf(body));
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

  // The hash input, canonical ++ data, as one buffer (body.ts).
  const layout: Layout = { state: meta.state, entries, size: bufLen };
  const body = bodyFromData(layout, bytes.subarray(dataStart));
  if ((await integrityOf(body)) !== meta.integrity) {
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
    // Each tensor gets a fresh, 0-aligned buffer of its own: the caller's array may sit at any
    // byte offset, and the result must not alias (or keep alive) the input file or each other.
    // (Not bytes.slice(): on a Node Buffer that is a view into Buffer's shared pool.)
    const raw = body.bytes.slice(body.dataStart + e.begin, body.dataStart + e.end).buffer;
    const data = e.dtype === 'F32' ? new Float32Array(raw) : new Int32Array(raw);
    return { name: e.name, dtype: e.dtype, shape: e.shape, data };
  });
  return { state, tensors };
}

/** The safetensors JSON header, checked as safetensors requires (also used by plain.ts). */
export function parseHeader(raw: Uint8Array): Json {
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
