// The hostile-input corpus, generated at test time (nothing big is committed): zip bombs whose
// entries lie about their size, PNG/JPEG headers announcing huge images, and CSVs made to pass
// the budgets or overflow doubles. Each maker returns bytes; the tests write them where needed.
import { Deflate, zlibSync } from 'fflate';

/** Little-endian writers for the zip structures. */
const u16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/**
 * A zip whose entries carry the sizes given, whatever their data inflates to: `declared` is what
 * the headers claim (the lie of a zip bomb). method 8 = deflate (raw), 0 = stored.
 */
export function zipWith(entries: { name: string; data: Uint8Array; declared?: number; method?: 0 | 8 }[]): Uint8Array {
  const parts: number[][] = [];
  const central: number[][] = [];
  let offset = 0;
  const enc = new TextEncoder();
  for (const e of entries) {
    const name = [...enc.encode(e.name)];
    const method = e.method ?? 8;
    const declared = e.declared ?? e.data.length;
    const common = [...u16(20), ...u16(0), ...u16(method), ...u16(0), ...u16(0x21), ...u32(0), ...u32(e.data.length), ...u32(declared), ...u16(name.length), ...u16(0)];
    const local = [...u32(0x04034b50), ...common, ...name];
    central.push([...u32(0x02014b50), ...u16(20), ...common, ...u16(0), ...u16(0), ...u16(0), ...u32(0), ...u32(offset), ...name]);
    parts.push(local, [...e.data]);
    offset += local.length + e.data.length;
  }
  const dir = central.flat();
  const end = [...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(entries.length), ...u16(entries.length), ...u32(dir.length), ...u32(offset), ...u16(0)];
  return Uint8Array.from([...parts.flat(), ...dir, ...end]);
}

/** Raw deflate of `mib` MiB of zeros, streamed (never held inflated): about 1 KB per MiB. */
export function zerosDeflated(mib: number): Uint8Array {
  const out: Uint8Array[] = [];
  const d = new Deflate({ level: 1 }, (c) => out.push(c));
  const zeros = new Uint8Array(1 << 20);
  for (let i = 0; i < mib; i++) d.push(zeros, i === mib - 1);
  const all = new Uint8Array(out.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of out) { all.set(c, at); at += c.length; }
  return all;
}

/** A PNG chunk: length, type, data, CRC-32 (the format's own CRC). */
function chunk(type: string, data: Uint8Array): number[] {
  const body = [...type].map((c) => c.charCodeAt(0)).concat([...data]);
  let crc = ~0;
  for (const b of body) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  const be = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return [...be(data.length), ...body, ...be(~crc >>> 0)];
}

/**
 * A PNG whose header says width x height (colour type 0 grey or 2 RGB, bit depth 1 or 8) and
 * whose IDAT holds the first `rows` rows only: enough for a header check, kilobytes in all.
 */
export function hugePng(width: number, height: number, o: { depth?: 1 | 8; colour?: 0 | 2; rows?: number; idat?: Uint8Array } = {}): Uint8Array {
  const depth = o.depth ?? 8, colour = o.colour ?? 2;
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([depth, colour, 0, 0, 0], 8);
  const rowBytes = 1 + Math.ceil((width * depth * (colour === 2 ? 3 : 1)) / 8);
  const idat = o.idat ?? zlibSync(new Uint8Array(rowBytes * (o.rows ?? 4)));
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return Uint8Array.from([...sig, ...chunk('IHDR', ihdr), ...chunk('IDAT', idat), ...chunk('IEND', new Uint8Array(0))]);
}

/** A baseline JPEG's first bytes: SOI, an APP0, and an SOF0 announcing height x width. */
export function hugeJpegHeader(width: number, height: number): Uint8Array {
  const app0 = [0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];
  const sof = [0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  return Uint8Array.from([0xff, 0xd8, ...app0, ...sof, 0xff, 0xd9]);
}

/** A CSV as bytes. */
export const csv = (lines: string[]): Uint8Array => new TextEncoder().encode(lines.join('\n') + '\n');

/** A zlib stream (as a PNG's IDAT holds) of `mib` MiB of zeros, streamed: about 1 KB per MiB. */
export function zerosZlib(mib: number): Uint8Array {
  const raw = zerosDeflated(mib);
  // zlib = 2-byte header (deflate, 32 KiB window, no dictionary) + raw deflate + Adler-32 (of
  // zeros: 1 + 0 in the low half, the length in the high half, mod 65521).
  const n = mib * (1 << 20);
  const a = 1, b = n % 65521;
  const adler = ((b << 16) | a) >>> 0;
  return Uint8Array.from([0x78, 0x01, ...raw, (adler >>> 24) & 0xff, (adler >>> 16) & 0xff, (adler >>> 8) & 0xff, adler & 0xff]);
}
