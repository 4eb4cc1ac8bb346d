// .zip archives -> DataFile list, with the inflated bytes bounded WHILE inflating. fflate's
// unzipSync inflated each entry whole into a buffer of its declared size and silently dropped the
// rest: an entry declaring 1,000 bytes that inflates to 10 GiB burned minutes of CPU. Here the
// central directory is read first (names and declared sizes; junk skipped and the declared total
// checked before anything is inflated), then each entry is inflated in small chunks with fflate's
// streaming Inflate, which stops as soon as the output passes the entry's declared size or the
// budget. Synchronous, so identical in a worker and in Node (fflate's async unzip spawns
// sub-workers from blob: URLs, which a strict CSP forbids).
import { Inflate } from 'fflate';
import { INPUT_LIMITS } from '../defaults';
import { DatasetError, checkSize, overBudget } from './errors';
import type { DataFile } from './types';

/** Forward slashes, no leading "./" or "/": the same path whether from a zip, Windows or a drop. */
export function normalisePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, '');
}

/** Entries nobody meant as data: macOS metadata, hidden files, Windows thumbnails. */
export function isJunkPath(path: string): boolean {
  const parts = normalisePath(path).split('/');
  const base = parts[parts.length - 1]!.toLowerCase();
  return parts.some((p) => p === '__MACOSX' || p.startsWith('.')) || base === 'thumbs.db' || base === 'desktop.ini';
}

/** One entry of the central directory. */
interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  declaredSize: number;
  localOffset: number;
}

/** Compressed bytes handed to the inflater at a time: at most ~1032x that comes out per push. */
const CHUNK = 16 * 1024;

class Broken extends Error {}

const u16 = (b: Uint8Array, o: number): number => {
  if (o + 2 > b.length) throw new Broken('cut short');
  return b[o]! | (b[o + 1]! << 8);
};
const u32 = (b: Uint8Array, o: number): number => {
  if (o + 4 > b.length) throw new Broken('cut short');
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
};
/** A zip64 8-byte size; anything past 2^53 is far over every budget anyway. */
const u64 = (b: Uint8Array, o: number): number => u32(b, o) + u32(b, o + 4) * 0x100000000;

/** The central directory's entries (zip64 sizes and offsets included). */
function readDirectory(bytes: Uint8Array, maxFiles: number, name: string): Entry[] {
  let eocd = -1;
  for (let e = bytes.length - 22; e >= Math.max(0, bytes.length - 22 - 0xffff); e--) {
    if (u32(bytes, e) === 0x06054b50) { eocd = e; break; }
  }
  if (eocd < 0) throw new Broken('no end of central directory');
  let count = u16(bytes, eocd + 10);
  let offset = u32(bytes, eocd + 16);
  if ((count === 0xffff || offset === 0xffffffff) && eocd >= 20 && u32(bytes, eocd - 20) === 0x07064b50) {
    const z = u64(bytes, eocd - 12);
    if (u32(bytes, z) !== 0x06064b50) throw new Broken('bad zip64 end of central directory');
    count = u64(bytes, z + 32);
    offset = u64(bytes, z + 48);
  }
  if (count > maxFiles) throw overBudget({ file: name, quantity: 'entries', value: count, limit: maxFiles, fix: 'split the archive or leave files out' });
  const out: Entry[] = [];
  let o = offset;
  for (let i = 0; i < count; i++) {
    if (u32(bytes, o) !== 0x02014b50) throw new Broken(`bad central directory entry ${i + 1}`);
    const method = u16(bytes, o + 10);
    let compressedSize = u32(bytes, o + 20), declaredSize = u32(bytes, o + 24);
    const nameLen = u16(bytes, o + 28), extraLen = u16(bytes, o + 30), commentLen = u16(bytes, o + 32);
    let localOffset = u32(bytes, o + 42);
    if (o + 46 + nameLen > bytes.length) throw new Broken('cut short');
    const entryName = new TextDecoder().decode(bytes.subarray(o + 46, o + 46 + nameLen));
    // zip64: the sizes that do not fit 32 bits are in extra field 0x0001, in this order.
    for (let x = o + 46 + nameLen; x + 4 <= o + 46 + nameLen + extraLen; ) {
      const id = u16(bytes, x), len = u16(bytes, x + 2);
      if (id === 1) {
        let p = x + 4;
        if (declaredSize === 0xffffffff) { declaredSize = u64(bytes, p); p += 8; }
        if (compressedSize === 0xffffffff) { compressedSize = u64(bytes, p); p += 8; }
        if (localOffset === 0xffffffff) localOffset = u64(bytes, p);
      }
      x += 4 + len;
    }
    out.push({ name: entryName, method, compressedSize, declaredSize, localOffset });
    o += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/**
 * Inflates one entry, refusing as soon as the output passes its declared size: the declared
 * sizes were checked against the budget before, so the work done is bounded by the budget.
 */
function inflateEntry(bytes: Uint8Array, e: Entry, name: string): Uint8Array {
  const o = e.localOffset;
  if (u32(bytes, o) !== 0x04034b50) throw new Broken(`bad local header for ${e.name}`);
  const start = o + 30 + u16(bytes, o + 26) + u16(bytes, o + 28);
  const end = start + e.compressedSize;
  if (end > bytes.length) throw new Broken(`${e.name} is cut short`);
  const data = bytes.subarray(start, end);
  const cap = e.declaredSize;
  const tooBig = (): DatasetError =>
    new DatasetError(
      'over_budget',
      `${name}: ${e.name} inflates past the ${cap.toLocaleString('en-US')} bytes its header declares (a damaged or malicious archive), so unpacking stopped there; zip the folder again`,
      `file ${e.name}`,
      { file: name, entry: e.name, quantity: 'inflated bytes', limit: cap },
    );
  if (e.method === 0) {
    if (data.length > cap) throw tooBig();
    return data.slice();
  }
  if (e.method !== 8) throw new Broken(`${e.name} uses compression method ${e.method} (only deflate and stored are supported)`);
  const out = new Uint8Array(cap);
  let at = 0;
  let over = false;
  const inflater = new Inflate((chunk) => {
    if (over) return;
    if (at + chunk.length > cap) { over = true; return; }
    out.set(chunk, at);
    at += chunk.length;
  });
  for (let p = 0; p < data.length && !over; p += CHUNK) {
    try {
      inflater.push(data.subarray(p, Math.min(data.length, p + CHUNK)), p + CHUNK >= data.length);
    } catch (err) {
      throw new Broken(`${e.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (over) throw tooBig();
  if (at !== e.declaredSize) throw new Broken(`${e.name} inflates to ${at} bytes, not the ${e.declaredSize} its header declares`);
  return out;
}

export function unzipFiles(bytes: Uint8Array, name: string, maxBytes: number, maxFiles: number = INPUT_LIMITS.files): DataFile[] {
  try {
    const entries = readDirectory(bytes, maxFiles, name).filter((e) => !e.name.endsWith('/') && !isJunkPath(e.name));
    // The declared sizes first: an honest archive over the budget is refused before any inflating.
    checkSize(entries.reduce((s, e) => s + e.declaredSize, 0), maxBytes, `${name} (uncompressed)`);
    return entries.map((e) => ({ path: normalisePath(e.name), bytes: inflateEntry(bytes, e, name) }));
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new DatasetError('bad-zip', `${name} is not a readable zip file (${why}): it may be cut short or damaged; zip the folder again`, `file ${name}`);
  }
}
