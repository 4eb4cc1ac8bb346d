// An image's width and height read from its header, without decoding: decoding a 20000x20000
// PNG that zips to 1.9 KB takes w*h*4 bytes and then w*h*3 doubles, so the pixel budget
// (INPUT_LIMITS.imagePixels) is checked on these numbers first. Only the few header bytes are
// read; a header this cannot read returns null and the decoder reports the file.
import { Unzlib } from 'fflate';

export interface Dimensions {
  width: number;
  height: number;
}

const be16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const le16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const be32 = (b: Uint8Array, o: number) => be16(b, o) * 0x10000 + be16(b, o + 2);
const le24 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
const ascii = (b: Uint8Array, o: number, s: string) => [...s].every((c, i) => b[o + i] === c.charCodeAt(0));

/** PNG: the IHDR chunk must come first (offset 8), width and height as big-endian u32. */
function png(b: Uint8Array): Dimensions | null {
  if (b.length < 24 || !ascii(b, 12, 'IHDR')) return null;
  return { width: be32(b, 16), height: be32(b, 20) };
}

/** JPEG: walk the marker segments up to the first start-of-frame (SOF0-SOF15 but DHT, JPG, DAC). */
function jpeg(b: Uint8Array): Dimensions | null {
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return null;
    const marker = b[o + 1]!;
    if (marker === 0xff) { o++; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { o += 2; continue; } // no length
    const len = be16(b, o + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (o + 9 > b.length) return null;
      return { height: be16(b, o + 5), width: be16(b, o + 7) };
    }
    if (len < 2) return null;
    o += 2 + len;
  }
  return null;
}

/** BMP: BITMAPINFOHEADER width/height as signed little-endian i32 (negative height = top-down). */
function bmp(b: Uint8Array): Dimensions | null {
  if (b.length < 26) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const size = dv.getUint32(14, true);
  if (size === 12) return { width: le16(b, 18), height: le16(b, 20) }; // OS/2 BITMAPCOREHEADER
  return { width: Math.abs(dv.getInt32(18, true)), height: Math.abs(dv.getInt32(22, true)) };
}

/** WebP: lossy (VP8), lossless (VP8L) or extended (VP8X, the canvas size). */
function webp(b: Uint8Array): Dimensions | null {
  if (b.length < 30) return null;
  if (ascii(b, 12, 'VP8 ')) return { width: le16(b, 26) & 0x3fff, height: le16(b, 28) & 0x3fff };
  if (ascii(b, 12, 'VP8L')) {
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (ascii(b, 12, 'VP8X')) return { width: le24(b, 24) + 1, height: le24(b, 27) + 1 };
  return null;
}

/** GIF: the logical screen; a frame larger than it is a broken file the decoder clips or refuses. */
function gif(b: Uint8Array): Dimensions | null {
  return b.length < 10 ? null : { width: le16(b, 6), height: le16(b, 8) };
}

/** Width and height from the header of a file `format` (sniffImageFormat's answer), or null. */
export function imageDimensions(bytes: Uint8Array, format: string | null): Dimensions | null {
  switch (format) {
    case 'PNG': return png(bytes);
    case 'JPEG': return jpeg(bytes);
    case 'BMP': return bmp(bytes);
    case 'WebP': return webp(bytes);
    case 'GIF': return gif(bytes);
    default: return null;
  }
}

/**
 * The most bytes a PNG's image data may inflate to, from its header: every row's filter byte plus
 * its packed samples. Adam7 interlacing adds a filter byte and a rounded-up byte per pass row;
 * 4 bytes a row and a constant cover that. Null for a header this cannot read.
 */
function pngDataBound(b: Uint8Array): number | null {
  if (b.length < 29 || !ascii(b, 12, 'IHDR')) return null;
  const width = be32(b, 16), height = be32(b, 20), depth = b[24]!, colour = b[25]!;
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colour];
  if (!channels) return null;
  return height * (1 + Math.ceil((width * channels * depth) / 8)) + 4 * height + 64;
}

/** Compressed bytes inflated at a time while measuring: at most ~1032x that comes out per push. */
const CHUNK = 16 * 1024;

/**
 * Whether a PNG's image data (its IDAT chunks, one zlib stream) inflates to no more than its
 * header allows. The decoder (fast-png) keeps everything the stream inflates to: a 4x4 PNG whose
 * IDAT inflates to gigabytes passed the pixel budget and then took the memory. This inflates in
 * small chunks, keeping nothing, and stops as soon as the output passes the bound. A stream that
 * fails to inflate returns true: the decoder then reports the file as corrupt.
 */
export function pngDataFits(b: Uint8Array): boolean {
  const bound = pngDataBound(b);
  if (bound === null) return true;
  let out = 0;
  const inflater = new Unzlib((chunk) => { out += chunk.length; });
  try {
    for (let o = 8; o + 8 <= b.length; ) {
      const len = be32(b, o);
      const type = String.fromCharCode(b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!);
      if (type === 'IEND') break;
      if (type === 'IDAT') {
        const data = b.subarray(o + 8, Math.min(b.length, o + 8 + len));
        for (let p = 0; p < data.length; p += CHUNK) {
          inflater.push(data.subarray(p, Math.min(data.length, p + CHUNK)));
          if (out > bound) return false;
        }
      }
      o += 12 + len;
    }
  } catch {
    return true;
  }
  return out <= bound;
}
