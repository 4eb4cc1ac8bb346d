// The CLI end to end, in child processes: training k steps, resuming in a NEW process to N
// gives byte-identical weights and optimizer state to N straight steps.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { diffContents } from '../support/resume-check';
import { DATASETS, tabtrain, tempDir, writeImageFolder, writeText } from '../support/cli';

let dir: string;
let images: string;
let text: string;
beforeAll(() => {
  dir = tempDir();
  images = writeImageFolder(dir);
  text = writeText(dir);
});

const load = async (p: string) => decodeCkpt(new Uint8Array(readFileSync(p)));

const families = () => [
  { family: 'mlp', data: () => join(DATASETS, 'iris.csv'), extra: ['--hidden', '16', '--batch-size', '16', '--dropout', '0.1'], k: 5 },
  { family: 'cnn', data: () => images, extra: ['--filters', '4', '--hidden', '8', '--batch-size', '4', '--image-size', '8'], k: 3 },
  { family: 'charlm', data: () => text, extra: ['--context-length', '8', '--d-model', '16', '--heads', '2', '--batch-size', '8', '--dropout', '0.1'], k: 4 },
  { family: 'resnet', data: () => images, extra: ['--filters', '4,6', '--blocks', '1', '--batch-size', '4', '--image-size', '8'], k: 3 },
];

describe('tabtrain train + resume in a new process == straight', () => {
  for (const f of families()) {
    for (const opt of ['adamw', 'sgd']) {
      it(`${f.family} + ${opt}`, async () => {
        const data = f.data();
        const common = ['--model', f.family, '--optimizer', opt, '--seed', '11', '--schedule', 'cosine', '--warmup-steps', '2', '--schedule-steps', '9', '--log-every', '2', '--eval-every', '3', ...f.extra];
        const straight = join(dir, `${f.family}-${opt}-straight.ckpt`);
        const part = join(dir, `${f.family}-${opt}-part.ckpt`);
        const resumed = join(dir, `${f.family}-${opt}-resumed.ckpt`);
        const a = tabtrain(['train', '--data', data, '--steps', '9', ...common, '--out', straight]);
        expect(a.code, a.stderr).toBe(0);
        const b = tabtrain(['train', '--data', data, '--steps', String(f.k), ...common, '--out', part]);
        expect(b.code, b.stderr).toBe(0);
        const c = tabtrain(['resume', part, '--data', data, '--steps', '9', '--out', resumed]);
        expect(c.code, c.stderr).toBe(0);
        expect(c.stderr).toContain(`resuming at step ${f.k}`);
        const d = diffContents(await load(straight), await load(resumed));
        expect(d.tensors).toEqual([]);
        expect(d.state).toEqual([]);
      });
    }
  }
});

describe('tabtrain commands', () => {
  it('--epochs on resume is a total to reach', async () => {
    const p1 = join(dir, 'ep1.ckpt');
    const p2 = join(dir, 'ep2.ckpt');
    expect(tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--epochs', '2', '--batch-size', '45', '--quiet', '--out', p1]).code).toBe(0);
    const s1 = (await load(p1)).state as any;
    expect(s1.cursor.epoch).toBe(2);
    expect(s1.step).toBe(6); // 135 training rows / 45 = 3 steps an epoch
    expect(tabtrain(['resume', p1, '--data', join(DATASETS, 'iris.csv'), '--epochs', '5', '--quiet', '--out', p2]).code).toBe(0);
    const s2 = (await load(p2)).state as any;
    expect([s2.cursor.epoch, s2.step]).toEqual([5, 15]);
  });

  it('inspect prints the checkpoint without training; --json is machine-readable', async () => {
    const p = join(dir, 'ins.ckpt');
    expect(tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--steps', '10', '--eval-every', '5', '--quiet', '--out', p]).code).toBe(0);
    const human = tabtrain(['inspect', p]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/model: mlp/);
    expect(human.stdout).toMatch(/position: step 10, epoch/);
    expect(human.stdout).toMatch(/label species \(3 classes\)/);
    const j = tabtrain(['inspect', p, '--json']);
    const parsed = JSON.parse(j.stdout);
    expect(parsed.state.step).toBe(10);
    expect(parsed.tensors.map((t: any) => t.name)).toContain('model.head.kernel');
    expect(parsed.state.metrics.history.length).toBeGreaterThan(0);
  });

  it('fresh loads what fits by meaning, re-initialises the rest, records the parent', async () => {
    const p = join(dir, 'parent.ckpt');
    const q = join(dir, 'child.ckpt');
    expect(tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--steps', '5', '--hidden', '8', '--quiet', '--out', p]).code).toBe(0);
    // penguins: 10 other features and 3 other species: neither the first layer nor the head
    // carries over (the head's shape fits, but its units would stand for iris species).
    const r = tabtrain(['fresh', p, '--data', join(DATASETS, 'penguins.csv'), '--label', 'species', '--steps', '3', '--quiet', '--out', q]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/re-initialised model\.layers\.0\.kernel: none of its input columns are in the checkpoint .*\[4,8\].*\[10,8\]/);
    expect(r.stderr).toMatch(/re-initialised model\.head\.kernel: none of its classes are in the checkpoint\n/);
    expect(r.stderr).toMatch(/^  loaded model\.layers\.0\.bias$/m);
    const parent = (await load(p)).state as any;
    const child = (await load(q)).state as any;
    expect(child.lineage.origin).toBe('fresh');
    expect(child.lineage.parent.runId).toBe(parent.lineage.runId);
    expect(child.optimizer.updates).toBe(3);
  });

  it('refuses to resume on a changed dataset and recommends fresh', () => {
    const p = join(dir, 'iris-only.ckpt');
    expect(tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--steps', '3', '--quiet', '--out', p]).code).toBe(0);
    const r = tabtrain(['resume', p, '--data', join(DATASETS, 'penguins.csv'), '--steps', '6', '--out', join(dir, 'never.ckpt')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dataset changed/i);
    expect(r.stderr).toMatch(/tabtrain fresh/);
    expect(existsSync(join(dir, 'never.ckpt'))).toBe(false);
  });

  it('bad input: one line, non-zero exit, no stack trace', () => {
    const good = join(dir, 'good.ckpt');
    expect(tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--steps', '2', '--quiet', '--out', good]).code).toBe(0);
    const bytes = readFileSync(good);
    const truncated = join(dir, 'truncated.ckpt');
    writeFileSync(truncated, bytes.subarray(0, 200));
    const flipped = join(dir, 'flipped.ckpt');
    const f = Buffer.from(bytes);
    f[f.length - 5] ^= 0x10;
    writeFileSync(flipped, f);
    const cases: [string[], RegExp, number][] = [
      [['train', '--data', join(dir, 'missing.csv'), '--out', join(dir, 'x.ckpt')], /no such file/, 1],
      [['train', '--data', join(DATASETS, 'iris.csv'), '--steps', 'ten', '--out', join(dir, 'x.ckpt')], /--steps: expected a positive integer/, 2],
      [['train', '--data', join(DATASETS, 'iris.csv'), '--label', 'nope', '--out', join(dir, 'x.ckpt')], /nope/, 1],
      [['train', '--data', join(DATASETS, 'iris.csv')], /missing --out/, 2],
      [['inspect', truncated], /truncated\.ckpt: .*(header length|truncated|exceeds)/i, 1],
      [['inspect', flipped], /flipped\.ckpt: .*integrity/i, 1],
      [['resume', flipped, '--data', join(DATASETS, 'iris.csv'), '--out', join(dir, 'x.ckpt')], /integrity/i, 1],
      [['frobnicate'], /unknown command/, 2],
      [['train', '--data', join(DATASETS, 'iris.csv'), '--bogus', '--out', join(dir, 'x.ckpt')], /bogus/, 2],
    ];
    for (const [args, re, code] of cases) {
      const r = tabtrain(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(join(dir, 'x.ckpt'))).toBe(false);
  });
});
