// "Done when" (b) through the CLI: extend a text's vocabulary, start fresh with --freeze-known,
// save, resume in a new process and train more: every known character's embedding row stays
// bit-identical to the parent's while the new characters' rows change.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import type { CkptContents } from '../../src/ckpt/types';
import { tabtrain, tempDir } from '../support/cli';

const LM = ['--context-length', '8', '--d-model', '8', '--heads', '1', '--layers', '1', '--batch-size', '8'];

async function load(path: string): Promise<CkptContents> {
  return decodeCkpt(new Uint8Array(readFileSync(path)));
}
const vocabOf = (c: CkptContents) => ((c.state as { dataset: { schema: { vocabulary: number[] } } }).dataset.schema.vocabulary).map((cp) => String.fromCodePoint(cp));
function rowOf(c: CkptContents, ch: string): number[] {
  const t = c.tensors.find((x) => x.name === 'model.tok_emb')!;
  const i = vocabOf(c).indexOf(ch);
  return Array.from(t.data.subarray(i * t.shape[1]!, (i + 1) * t.shape[1]!));
}

describe('fresh --freeze-known (CLI)', () => {
  it('(b) known embedding rows stay bit-identical through training, a save, a resume in a new process and more training', async () => {
    const dir = tempDir();
    const old = 'to be or not to be, that is the question. '.repeat(30);
    writeFileSync(join(dir, 'a.txt'), old);
    const parent = join(dir, 'parent.ckpt');
    expect(tabtrain(['train', '--data', join(dir, 'a.txt'), '--out', parent, '--steps', '4', '--quiet', ...LM]).code).toBe(0);
    writeFileSync(join(dir, 'b.txt'), old + 'WHETHER TIS NOBLER IN THE MIND; '.repeat(10));
    const child = join(dir, 'child.ckpt');
    const f = tabtrain(['fresh', parent, '--data', join(dir, 'b.txt'), '--out', child, '--steps', '4', '--freeze-known', '--quiet', ...LM]);
    expect(f.code).toBe(0);
    expect(f.stderr).toMatch(/partly loaded model\.tok_emb: 15 of 29 characters loaded, 14 new characters initialised: ";", "B"/);
    expect(f.stderr).toMatch(/frozen \(--freeze-known\): the known rows of tok_emb, head\.kernel, head\.bias/);
    const p = await load(parent);
    const c4 = await load(child);
    // --freeze-known is refused on resume (it is part of the run: resume applies it again by itself)
    expect(tabtrain(['resume', child, '--data', join(dir, 'b.txt'), '--freeze-known']).stderr).toMatch(/--freeze-known is not an option of 'resume'/);
    const r = tabtrain(['resume', child, '--data', join(dir, 'b.txt'), '--out', child, '--steps', '9', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/error/);
    const c9 = await load(child);
    expect((c9.state as { step: number }).step).toBe(9);
    const known = vocabOf(p);
    const fresh = vocabOf(c9).filter((ch) => !known.includes(ch));
    expect(fresh).toContain('W');
    for (const ch of known) {
      expect(rowOf(c4, ch)).toEqual(rowOf(p, ch));
      expect(rowOf(c9, ch)).toEqual(rowOf(p, ch));
    }
    for (const ch of fresh) expect(rowOf(c9, ch)).not.toEqual(rowOf(c4, ch));
  }, 120_000);
});
