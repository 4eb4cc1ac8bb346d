// The store's form of a checkpoint: what IndexedDB holds for a checkpoint the app saved itself
// (docs/storage.md, "Checkpoint bodies"). It is not a file; the .ckpt file is made from it on
// export, byte for byte what encodeCkpt writes.
//
//   [u32 LE pad][u32 LE L][pad zero bytes][canonical string: L bytes of UTF-8][data buffer]
//
// (pad makes the data 8-aligned, plus headroom in bodies made for reuse, see makeBody.)
//
// Why not the file: in a .ckpt file the header holds the SHA-256 of `canonical ++ data`, so the
// file exists only after hashing (~7 ms per 3 MB in Chromium, on the calling thread), and reading
// must copy the data out to hash it. A body is made with one copy of the tensors, needs no
// SHA-256 to store (the store checks it with a fast checksum, xxh32.ts), hands out the tensors as
// views into the stored bytes (8 + pad + L is a multiple of 8), and, since `canonical ++ data`
// is contiguous, becomes the file on export by hashing it in place.

import { CkptError } from './errors';
import { canonicalString, CKPT_FORMAT, CKPT_VERSION, fileBytes, isPlainObject, layoutOf, MAX_HEADER_BYTES, readEntries, sha256Hex, utf8, viewTensors, writeData, type Json, type Layout } from './layout';
import type { CkptContents } from './types';

export interface Body {
  /** the stored bytes; its buffer is exactly this size (structured clone stores whole buffers). */
  bytes: Uint8Array<ArrayBuffer>;
  /** canonical ++ data: what the integrity hash covers (a view into `bytes`). */
  hashInput: Uint8Array<ArrayBuffer>;
  layout: Layout;
  /** offset of the data buffer in `bytes` (a multiple of 8). */
  dataStart: number;
}

/**
 * Lays out and copies the contents into a body (the one copy of the tensor bytes). With `reuse`,
 * a body buffer whose store write has completed, and room enough, that buffer is filled instead
 * of a new one: allocating (and zeroing) megabytes costs more than copying them. A new buffer
 * gets headroom before the canonical string, so that the next checkpoints of the same run, whose
 * state (metrics history) grows a little each time, still fit in it. `reuse` undefined: a
 * one-off body, no headroom (encodeCkpt); null: a first body meant for reuse.
 */
export function makeBody(contents: CkptContents, reuse?: ArrayBuffer | null): Body {
  const layout = layoutOf(contents);
  return newBody(layout, (out, at) => writeData(contents.tensors, layout.entries, out, at), reuse);
}

/** A body around a checked layout and its data buffer (copied once), e.g. from a .ckpt file. */
export function bodyFromData(layout: Layout, data: Uint8Array): Body {
  return newBody(layout, (out, at) => out.set(data.subarray(0, layout.size), at));
}

/** Bytes of headroom a new reusable body leaves for its state to grow. */
const HEADROOM = (canonicalLength: number) => Math.max(4096, canonicalLength);

function newBody(layout: Layout, fill: (out: Uint8Array, at: number) => void, reuse?: ArrayBuffer | null): Body {
  const canonical = utf8(canonicalString(CKPT_FORMAT, CKPT_VERSION, layout.state, layout.entries));
  // Room for the prefix and the canonical string, data 8-aligned, and no more slack than a new
  // body would have (a bigger model's buffer is not worth storing for a smaller one).
  const fits = (size: number) => {
    const room = size - layout.size - 8 - canonical.length;
    return room >= 0 && (size - layout.size) % 8 === 0 && room <= HEADROOM(canonical.length) + 8;
  };
  let bytes: Uint8Array<ArrayBuffer>;
  if (reuse && fits(reuse.byteLength)) {
    bytes = new Uint8Array(reuse);
  } else {
    const extra = reuse === undefined ? 0 : HEADROOM(canonical.length); // undefined: a one-off body
    bytes = new Uint8Array(Math.ceil((8 + canonical.length + extra) / 8) * 8 + layout.size);
  }
  // Data at the end, the canonical string right before it (contiguous: the hash input), zero
  // padding between the 8-byte prefix and the canonical string.
  const dataStart = bytes.length - layout.size;
  const pad = dataStart - 8 - canonical.length;
  const view = new DataView(bytes.buffer);
  view.setUint32(0, pad, true);
  view.setUint32(4, canonical.length, true);
  bytes.fill(0, 8, 8 + pad);
  bytes.set(canonical, 8 + pad);
  fill(bytes, dataStart);
  return { bytes, hashInput: bytes.subarray(8 + pad), layout, dataStart };
}

/** `sha256:<hex>` of the body: the value of the .ckpt file's `integrity`. */
export async function integrityOf(body: Body): Promise<string> {
  return `sha256:${await sha256Hex(body.hashInput)}`;
}

/**
 * Parses stored body bytes. Checked like a file (every length against the size, strict JSON,
 * the tensor layout, canonical form) even though the store verifies its checksum first.
 */
export function readBody(stored: Uint8Array): Body & { contents: CkptContents } {
  const size = stored.byteLength;
  const fail = (code: 'truncated' | 'bad_header_length' | 'bad_json' | 'bad_header' | 'bad_state', why: string): never => {
    throw new CkptError(code, `stored checkpoint body: ${why}`);
  };
  if (size < 8) fail('truncated', `${size} bytes, shorter than its 8-byte prefix`);
  const view = new DataView(stored.buffer, stored.byteOffset, 8);
  const pad = view.getUint32(0, true);
  const len = view.getUint32(4, true);
  if (len > MAX_HEADER_BYTES || 8 + pad + len > size || (8 + pad + len) % 8 !== 0) {
    fail('bad_header_length', `prefix (pad ${pad}, length ${len}) does not fit its ${size} bytes`);
  }
  const dataStart = 8 + pad + len;
  // Views need the data 4-aligned in its buffer; IndexedDB hands out fresh buffers, so this
  // copy only happens for bytes that came from elsewhere.
  const bytes = stored.byteOffset % 8 === 0 && stored.byteLength === stored.buffer.byteLength && Object.prototype.toString.call(stored.buffer) === '[object ArrayBuffer]'
    ? (stored as Uint8Array<ArrayBuffer>)
    : new Uint8Array(stored);
  let text = '';
  let canonical: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8 + pad, dataStart));
    canonical = JSON.parse(text);
  } catch {
    fail('bad_json', 'its canonical string is not valid UTF-8 JSON');
  }
  const c = canonical as Json;
  if (!isPlainObject(c) || c.format !== CKPT_FORMAT || c.version !== CKPT_VERSION || typeof c.state !== 'string' || !Array.isArray(c.tensors)) {
    fail('bad_header', `its canonical string is not a ${CKPT_FORMAT} version ${CKPT_VERSION} layout`);
  }
  // Into the header's form, so the file decoder's checks of names, shapes and offsets apply.
  const header: Json = {};
  for (const t of c.tensors as unknown[]) {
    if (!Array.isArray(t) || t.length !== 4 || typeof t[0] !== 'string') fail('bad_header', 'a tensor entry is malformed');
    const [name, dtype, shape, data_offsets] = t as [string, unknown, unknown, unknown];
    if (Object.hasOwn(header, name) || name === '__metadata__') fail('bad_header', `tensor ${name} appears twice`);
    header[name] = { dtype, shape, data_offsets };
  }
  const entries = readEntries(header, size - dataStart);
  const layout: Layout = { state: c.state as string, entries, size: size - dataStart };
  // Export rebuilds the file from these parsed values: they must give back the very bytes hashed.
  if (canonicalString(CKPT_FORMAT, CKPT_VERSION, layout.state, entries) !== text) fail('bad_header', 'its canonical string is not in canonical form');
  let state: unknown;
  try {
    state = JSON.parse(layout.state);
  } catch {
    fail('bad_state', 'the state is not valid JSON');
  }
  if (!isPlainObject(state)) fail('bad_state', 'the state is not a JSON object');
  const contents: CkptContents = { state: state as Json, tensors: viewTensors(entries, bytes.buffer, dataStart) };
  return { bytes, hashInput: bytes.subarray(8 + pad), layout, dataStart, contents };
}

/** The .ckpt file of a body whose hash is `integrity` (one copy of the data). */
export function bodyToFile(body: Body, integrity: string): Uint8Array {
  return fileBytes(body.layout, integrity, body.bytes.subarray(body.dataStart));
}
