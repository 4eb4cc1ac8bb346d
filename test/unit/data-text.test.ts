import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { findInvalidUtf8, parseDataset, parseText, type TextDataset } from '../../src/engine/data';
import { fails } from '../support/fails';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);


describe('text datasets', () => {
  test('tinyshakespeare: vocabulary of 65, ids decode back to the text', async () => {
    const bytes = new Uint8Array(readFileSync('public/samples/tinyshakespeare.txt'));
    const ds = (await parseDataset([{ path: 'tinyshakespeare.txt', bytes }])) as TextDataset;
    expect(ds.kind).toBe('text');
    expect(ds.vocab).toHaveLength(65);
    expect(ds.ids).toBeInstanceOf(Int32Array);
    expect(ds.ids.length).toBe(1115394);
    expect(ds.vocab[0]).toBe('\n');
    expect(ds.vocab.join('')).toBe([...ds.vocab].sort().join('')); // sorted (all BMP here)
    const text = new TextDecoder().decode(bytes);
    expect(Array.from(ds.ids.subarray(0, 2000), (i) => ds.vocab[i]).join('')).toBe(text.slice(0, 2000));
    expect(ds.notes[0]).toBe('1115394 characters, vocabulary of 65');
    expect(ds.fingerprint.summary).toBe('text 1115394 characters, vocabulary 65');
    expect(ds.fingerprint.shape).toEqual({ kind: 'text', characters: 1115394, vocab: 65 });
  });

  test('vocabulary is by code point, not UTF-16 unit, and sorted by code point', async () => {
    const ds = await parseText(enc('b😀a😀ÿ\u{10000}'), 't.txt');
    // U+00FF < U+1F600 but also U+10000 < U+1F600: surrogate halves would sort differently
    expect(ds.vocab).toEqual(['a', 'b', 'ÿ', '\u{10000}', '😀']);
    expect(Array.from(ds.ids)).toEqual([1, 4, 0, 4, 2, 3]);
  });

  test('CRLF becomes LF with a note', async () => {
    const ds = await parseText(enc('ab\r\ncd\r\n'), 't.txt');
    expect(ds.vocab).toEqual(['\n', 'a', 'b', 'c', 'd']);
    expect(ds.notes.join('\n')).toMatch(/CRLF/);
  });

  test('empty text', async () => {
    const e = await fails(parseText(new Uint8Array(0), 'empty.txt'));
    expect([e.code, e.message]).toEqual(['empty', 'empty.txt is empty']);
  });

  test('binary junk (NUL bytes)', async () => {
    const e = await fails(parseText(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]), 'pic.txt'));
    expect(e.code).toBe('not-text');
    expect(e.message).toMatch(/^pic\.txt is not a text file/);
  });

  test('NUL past the first KiB is still binary', async () => {
    const e = await fails(parseText(enc('a'.repeat(3000) + '\0b'), 'late.txt'));
    expect(e.message).toBe('late.txt is not a text file (NUL character at character 3000)');
  });

  test('invalid UTF-8 names the byte offset', async () => {
    const bytes = new Uint8Array([...enc('x'.repeat(2000) + 'caf'), 0xe9, ...enc(' au lait')]); // Latin-1 é
    const e = await fails(parseText(bytes, 'latin1.txt'));
    expect(e.code).toBe('invalid-utf8');
    expect(e.message).toBe('latin1.txt is not valid UTF-8: invalid UTF-8 at byte 2003; save it as UTF-8');
    expect(e.where).toBe('byte 2003');
  });

  test('findInvalidUtf8 agrees with TextDecoder on tricky sequences', () => {
    const cases: [number[], number][] = [
      [[0x61, 0x62], -1],
      [[0xc3, 0xa9], -1], // é
      [[0xc0, 0xaf], 0], // overlong '/'
      [[0x61, 0xed, 0xa0, 0x80], 1], // UTF-16 surrogate encoded
      [[0xf4, 0x90, 0x80, 0x80], 0], // > U+10FFFF
      [[0x61, 0xe2, 0x82], 1], // truncated at the end
      [[0xf0, 0x9f, 0x98, 0x80], -1], // 😀
    ];
    for (const [bytes, at] of cases) {
      expect(findInvalidUtf8(new Uint8Array(bytes))).toBe(at);
      let valid = true;
      try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes)); } catch { valid = false; }
      expect(valid).toBe(at === -1);
    }
  });

  test('progress reaches 1', async () => {
    const seen: number[] = [];
    await parseText(enc('hello world'), 'h.txt', { onProgress: (f) => seen.push(f) });
    expect(seen.at(-1)).toBe(1);
  });
});
