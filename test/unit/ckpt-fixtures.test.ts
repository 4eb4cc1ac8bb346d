// The .ckpt test vectors shared with the Python decoder (python/tests/test_ckpt.py reads the same
// files): each file's name says the verdict, `ok.*` decodes and `<code>.*` is refused with that code.
// Made by test/fixtures/ckpt/make-fixtures.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { CkptError } from '../../src/ckpt/errors';
import { validateState } from '../../src/engine/state';

const DIR = join(__dirname, '../fixtures/ckpt');
const files = readdirSync(DIR).filter((f) => f.endsWith('.ckpt')).sort();

describe('shared .ckpt fixtures', () => {
  it('has a valid file and several broken ones', () => {
    expect(files.filter((f) => f.startsWith('ok.')).length).toBeGreaterThan(0);
    expect(files.filter((f) => !f.startsWith('ok.')).length).toBeGreaterThanOrEqual(5);
  });
  for (const f of files) {
    const want = f.split('.')[0]!;
    it(`${f}: ${want === 'ok' ? 'decodes' : `refused with ${want}`}`, async () => {
      const bytes = new Uint8Array(readFileSync(join(DIR, f)));
      if (want === 'ok') {
        const c = await decodeCkpt(bytes);
        expect(() => validateState(c.state)).not.toThrow();
        return;
      }
      const e = await decodeCkpt(bytes).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(CkptError);
      expect((e as CkptError).code).toBe(want);
    });
  }
});
