// What changed in a dataset since a checkpoint, in words (issue 11, item 5): the resume refusal
// quotes it and recommends fresh from the weights, as seed 000's guide does.
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/engine/config';
import { parseCsv, parseText } from '../../src/engine/data';
import type { Dataset } from '../../src/engine/data/types';
import { changeWords, describeChange } from '../../src/engine/data-change';
import { resumeSession } from '../../src/engine/session';
import { Trainer } from '../../src/engine/trainer';
import { validateState } from '../../src/engine/state';
import { tabtrain, tempDir } from '../support/cli';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const enc = new TextEncoder();
const csv = (rows: string[]) => enc.encode(rows.join('\n'));
const base = (n: number, classes: string[]) => Array.from({ length: n }, (_, i) => `${i % 9},${(i * 5) % 7}.5,${['x', 'y'][i % 2]},${classes[i % classes.length]}`);

async function infoOf(ds: Dataset) {
  const t = Trainer.create({ config: makeConfig(ds, { batchSize: 4, steps: 1, hidden: [4], contextLength: 4, dModel: 8, numHeads: 1, numLayers: 1 } as never), dataset: ds });
  const c = await t.snapshot('latest');
  t.dispose();
  return { c, info: validateState(c.state).dataset };
}

describe('what changed, in words', () => {
  it('same data; rows added; classes added and removed; columns added, removed, retyped', async () => {
    const a = await parseCsv(csv(['a,b,c,label', ...base(40, ['fail', 'ok', 'warn'])]), 'd.csv');
    const { info } = await infoOf(a);
    expect(changeWords(describeChange(info, a))).toBe('same data');
    const more = await parseCsv(csv(['a,b,c,label', ...base(52, ['fail', 'ok', 'warn'])]), 'd.csv');
    expect(changeWords(describeChange(info, more))).toBe('12 rows added (40 -> 52)');
    const fewer = await parseCsv(csv(['a,b,c,label', ...base(30, ['fail', 'ok', 'warn'])]), 'd.csv');
    expect(changeWords(describeChange(info, fewer))).toBe('10 rows removed (40 -> 30)');
    const classes = await parseCsv(csv(['a,b,c,label', ...base(40, ['fail', 'ok', 'retired'])]), 'd.csv');
    expect(changeWords(describeChange(info, classes))).toBe('class "retired" added; class "warn" removed');
    const cols = await parseCsv(csv(['a,d,c,label', ...base(40, ['fail', 'ok', 'warn']).map((r, i) => r.replace(/^(\d+),/, `$1,${i % 3 === 0 ? 'hi' : i % 3},`).replace(/,[\d.]+,/, ','))]), 'd.csv');
    const words = changeWords(describeChange(info, cols));
    expect(words).toContain('column "d" added');
    expect(words).toContain('column "b" removed');
    const retyped = await parseCsv(csv(['a,b,c,label', ...base(40, ['fail', 'ok', 'warn']).map((r, i) => (i === 3 ? r.replace(/^\d+/, 'many') : r))]), 'd.csv');
    expect(changeWords(describeChange(info, retyped))).toBe('column "a" retyped numeric -> categorical');
  });
  it('characters added: the count and a sample', async () => {
    const a = await parseText(enc.encode('abab cab '.repeat(20)), 't.txt');
    const { info } = await infoOf(a);
    const b = await parseText(enc.encode('abab cab ééz '.repeat(20)), 't.txt');
    expect(changeWords(describeChange(info, b), 'text')).toBe('the text is 80 characters longer (180 -> 260); 2 characters added to the vocabulary ("z", "é")');
  });
  it('the resume refusal quotes the change and recommends fresh (engine and CLI)', async () => {
    const a = await parseCsv(csv(['a,b,c,label', ...base(40, ['fail', 'ok', 'warn'])]), 'd.csv');
    const { c } = await infoOf(a);
    const b = await parseCsv(csv(['a,b,c,label', ...base(40, ['fail', 'ok', 'retired', 'warn'])]), 'd.csv');
    expect(() => resumeSession(c, b)).toThrow(/The dataset changed since this checkpoint was saved: class "retired" added\. .*Start fresh from the checkpoint's weights.*--freeze-known/);
    const dir = tempDir();
    writeFileSync(join(dir, 'd.csv'), csv(['a,b,c,label', ...base(40, ['fail', 'ok', 'warn'])]));
    expect(tabtrain(['train', '--data', join(dir, 'd.csv'), '--out', join(dir, 'a.ckpt'), '--steps', '1', '--quiet']).code).toBe(0);
    writeFileSync(join(dir, 'd.csv'), csv(['a,b,c,label', ...base(52, ['fail', 'ok', 'warn'])]));
    const r = tabtrain(['resume', join(dir, 'a.ckpt'), '--data', join(dir, 'd.csv'), '--out', join(dir, 'b.ckpt')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dataset changed since this checkpoint was saved: 12 rows added \(40 -> 52\)\. /);
    expect(r.stderr).toMatch(/Use: tabtrain fresh /);
  }, 60_000);
});

describe('resume --force on other data', () => {
  it("numeric columns keep the checkpoint's mean and std (recorded again in the resumed checkpoint)", async () => {
    const { readFileSync } = await import('node:fs');
    const { decodeCkpt } = await import('../../src/ckpt/format');
    const dir = tempDir();
    writeFileSync(join(dir, 'd.csv'), csv(['a,b,c,label', ...base(40, ['fail', 'ok', 'warn'])]));
    expect(tabtrain(['train', '--data', join(dir, 'd.csv'), '--out', join(dir, 'a.ckpt'), '--steps', '1', '--quiet']).code).toBe(0);
    writeFileSync(join(dir, 'd.csv'), csv(['a,b,c,label', ...base(40, ['fail', 'ok', 'warn']).map((r) => r.replace(/^(\d+),/, (_, a) => `${Number(a) * 3 + 1},`))]));
    const r = tabtrain(['resume', join(dir, 'a.ckpt'), '--data', join(dir, 'd.csv'), '--out', join(dir, 'b.ckpt'), '--steps', '2', '--force', '--quiet']);
    expect(r.code).toBe(0);
    const schemaOf = async (f: string) => (validateState((await decodeCkpt(new Uint8Array(readFileSync(join(dir, f))))).state).dataset.schema as { columns: { name: string }[] });
    const before = (await schemaOf('a.ckpt')).columns.find((c) => c.name === 'a');
    const after = (await schemaOf('b.ckpt')).columns.find((c) => c.name === 'a');
    expect(after).toEqual(before);
  }, 60_000);
});
