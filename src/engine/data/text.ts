// Plain-text datasets for character-level language models, plus the strict UTF-8 decoding the
// CSV reader shares. Vocabulary entries are whole code points (an emoji is one token, not two
// UTF-16 halves), sorted by code point so the id of a character never depends on where in the
// text it first appears.
import { DatasetError, DEFAULT_MAX_BYTES, checkSize, limitsOf, overBudget } from './errors';
import { textFingerprint, sha256Hex } from './fingerprint';
import type { ParseOptions, TextDataset } from './types';

/** Byte offset of the first invalid UTF-8 sequence, or -1 when the bytes are valid UTF-8. */
export function findInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) { i++; continue; }
    let len: number, min: number;
    if (b >= 0xc2 && b <= 0xdf) { len = 2; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { len = 3; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { len = 4; min = 0x10000; }
    else return i;
    if (i + len > n) return i;
    let cp = b & (0xff >> (len + 1));
    for (let j = 1; j < len; j++) {
      const c = bytes[i + j]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid too
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return -1;
}

/** True when the bytes start with a UTF-16 byte-order mark (Excel's "Unicode text" export). */
function isUtf16(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

/**
 * Decodes UTF-8 text or throws a DatasetError saying why it is not text. `kindOfFile` words the
 * message ("a text CSV file", "a text file"). NUL bytes anywhere in the first KiB mean binary
 * data (images, spreadsheets, archives); an initial BOM is dropped.
 */
export function decodeUtf8Strict(bytes: Uint8Array, name: string, kindOfFile: string): string {
  if (isUtf16(bytes)) {
    throw new DatasetError('not-text', `${name} is UTF-16 encoded, not ${kindOfFile}; save it as UTF-8`, `file ${name}`);
  }
  const head = bytes.subarray(0, 1024);
  const nul = head.indexOf(0);
  if (nul >= 0) {
    throw new DatasetError('not-text', `${name} is not ${kindOfFile} (binary data, NUL byte at byte ${nul})`, `byte ${nul}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = Math.max(0, findInvalidUtf8(bytes));
    // Garbage at the very start means "this is not a text file at all"; later it is an encoding
    // slip (a Latin-1 accent in a UTF-8 file) and the message says so.
    const early = at < 1024;
    const why = early ? `not ${kindOfFile}` : 'not valid UTF-8';
    throw new DatasetError(early ? 'not-text' : 'invalid-utf8', `${name} is ${why}: invalid UTF-8 at byte ${at}; save it as UTF-8`, `byte ${at}`);
  }
}

export async function parseText(bytes: Uint8Array, name: string, options: ParseOptions = {}): Promise<TextDataset> {
  checkSize(bytes.length, options.maxBytes ?? DEFAULT_MAX_BYTES, name);
  if (bytes.length === 0) throw new DatasetError('empty', `${name} is empty`, `file ${name}`);
  let text = decodeUtf8Strict(bytes, name, 'a text file');
  // NULs past the first KiB still mean binary; a language model over them is never intended.
  const nul = text.indexOf('\0');
  if (nul >= 0) throw new DatasetError('not-text', `${name} is not a text file (NUL character at character ${nul})`, `character ${nul}`);
  const notes: string[] = [];
  // Windows line ends would put '\r' in the vocabulary and double every newline's cost.
  if (text.includes('\r\n')) {
    text = text.replace(/\r\n/g, '\n');
    notes.push('Windows line endings (CRLF) converted to \\n');
  }
  if (text.length === 0) throw new DatasetError('empty', `${name} is empty`, `file ${name}`);

  // Pass 1: which code points occur. Pass 2: ids. Both walk code points, not UTF-16 units.
  const seen = new Set<number>();
  let count = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    seen.add(cp);
    count++;
    i += cp > 0xffff ? 2 : 1;
  }
  const maxChars = limitsOf(options).textCharacters;
  if (count > maxChars) throw overBudget({ file: name, quantity: 'characters', value: count, limit: maxChars, fix: 'use the first part of the text' });
  // One character cannot be predicted from anything (a model needs at least two classes): say so
  // here, not as the "oneHot: depth must be >=2" of the first training step.
  if (seen.size < 2) {
    const c = JSON.stringify(String.fromCodePoint([...seen][0]!));
    throw new DatasetError('one_character', `${name} has only one distinct character (${c}, ${count} times): there is nothing to predict; use a text with at least two different characters`, `file ${name}`);
  }
  const codePoints = [...seen].sort((a, b) => a - b);
  const idOf = new Map<number, number>();
  codePoints.forEach((cp, id) => idOf.set(cp, id));
  const ids = new Int32Array(count);
  for (let i = 0, k = 0; i < text.length; k++) {
    const cp = text.codePointAt(i)!;
    ids[k] = idOf.get(cp)!;
    i += cp > 0xffff ? 2 : 1;
    if (options.onProgress && (k & 0xfffff) === 0) options.onProgress(i / text.length, 'reading text');
  }
  options.onProgress?.(1, 'reading text');
  const vocab = codePoints.map((cp) => String.fromCodePoint(cp));
  notes.unshift(`${count} characters, vocabulary of ${vocab.length}`);
  const sha = await sha256Hex(bytes);
  return { kind: 'text', ids, vocab, notes, fingerprint: textFingerprint(sha, { characters: count, vocab: vocab.length }) };
}
