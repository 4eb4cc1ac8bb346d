// The store's form of a checkpoint (src/ckpt/body.ts), in Node: round trips, the file made from
// a body, buffer reuse, and damaged bodies (which the store's checksum normally catches first)
// failing as CkptError, never as a crash.
import { describe, expect, it } from 'vitest';
import { bodyToFile, integrityOf, makeBody, readBody } from '../../src/ckpt/body';
import { CkptError } from '../../src/ckpt/errors';
import { encodeCkpt } from '../../src/ckpt/format';
import type { CkptContents } from '../../src/ckpt/types';
import { diffContents, mediumContents, smallContents, xorshift } from './ckpt-testutil';

const withState = (c: CkptContents, state: Record<string, unknown>): CkptContents => ({ ...c, state });

describe('checkpoint bodies', () => {
  it('read back bit for bit, with the tensors as aligned views into the stored bytes', () => {
    for (const c of [smallContents(), mediumContents(), { state: {}, tensors: [] }]) {
      const body = makeBody(c);
      const back = readBody(new Uint8Array(body.bytes)); // a copy, as IndexedDB hands it out
      expect(diffContents(c, back.contents)).toBeNull();
      for (const t of back.contents.tensors) {
        expect(t.data.buffer).toBe(back.bytes.buffer);
        expect(t.data.byteOffset % 8 === 0 || t.data.byteOffset % 4 === 0).toBe(true);
      }
    }
  });

  it('become exactly the file encodeCkpt writes', async () => {
    const c = mediumContents(11);
    const body = readBody(new Uint8Array(makeBody(c).bytes));
    const file = bodyToFile(body, await integrityOf(body));
    expect(Buffer.compare(file, await encodeCkpt(c))).toBe(0);
  });

  it('refill a spare buffer when they fit, and clear what the last one left in the padding', () => {
    const c = mediumContents(3);
    const spare = makeBody(withState(c, { history: 'x'.repeat(10) }), null).bytes.buffer; // null: reusable, with headroom
    const grown = makeBody(withState(c, { history: 'y'.repeat(3000) }), spare); // the state grew
    expect(grown.bytes.buffer).toBe(spare);
    const shrunk = makeBody(withState(c, { history: 'z'.repeat(2000) }), spare); // and shrank a little
    expect(shrunk.bytes.buffer).toBe(spare);
    const canonicalLength = shrunk.hashInput.length - shrunk.layout.size;
    expect(shrunk.bytes.subarray(8, shrunk.dataStart - canonicalLength).every((b) => b === 0)).toBe(true);
    expect(diffContents(withState(c, { history: 'z'.repeat(2000) }), readBody(new Uint8Array(shrunk.bytes)).contents)).toBeNull();
    // A state past the headroom, or another model: a new buffer.
    expect(makeBody(withState(c, { history: 'w'.repeat(20_000) }), spare).bytes.buffer).not.toBe(spare);
    expect(makeBody(smallContents(), spare).bytes.buffer).not.toBe(spare);
  });

  it('fail as CkptError on damage: truncation, flipped bytes, bad lengths (2,000 mutants)', () => {
    const c = mediumContents(5, 6);
    const good = makeBody(c).bytes;
    const rnd = xorshift(99);
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(good);
      const kind = i % 4;
      let input = b;
      if (kind === 0) input = b.subarray(0, rnd() % b.length);
      else if (kind === 1) b[rnd() % Math.min(b.length, 600)] ^= 1 << (rnd() % 8); // prefix and canonical string
      else if (kind === 2) new DataView(b.buffer).setUint32((rnd() % 2) * 4, rnd(), true);
      else b[rnd() % b.length] = rnd() & 0xff;
      let back: ReturnType<typeof readBody> | null = null;
      try {
        back = readBody(new Uint8Array(input));
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(CkptError);
        refused++;
      }
      // Accepted (data bytes, or a name that is still valid, changed): a consistent layout.
      for (const t of back?.contents.tensors ?? []) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
    }
    expect(refused).toBeGreaterThan(800);
  });
});
