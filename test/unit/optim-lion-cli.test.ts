// Lion end to end through the CLI, in child processes, on the repo's own iris sample: the loss
// falls, and training k steps then resuming in a NEW process gives the same bytes as N straight.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { diffContents } from '../support/resume-check';
import { tabtrain, tempDir } from '../support/cli';

const IRIS = resolve('public/samples/iris.csv');
let dir: string;
beforeAll(() => {
  dir = tempDir();
});
const load = async (p: string) => decodeCkpt(new Uint8Array(readFileSync(p)));

describe('tabtrain --optimizer lion', () => {
  it('trains: the loss falls, the checkpoint holds one slot m per parameter', async () => {
    const out = join(dir, 'lion.ckpt');
    const r = tabtrain(['train', '--data', IRIS, '--label', 'species', '--optimizer', 'lion', '--steps', '80', '--log-every', '10', '--eval-every', '40', '--seed', '3', '--quiet', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const c = await load(out);
    const st = c.state as { config: { optimizer: unknown }; metrics: { history: { trainLoss?: number }[] } };
    expect(st.config.optimizer).toEqual({ kind: 'lion', lr: 1e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.01 });
    const losses = st.metrics.history.map((h) => h.trainLoss).filter((x): x is number => x !== undefined);
    expect(losses.length).toBeGreaterThanOrEqual(8);
    // iris has 3 classes: an untrained net starts near ln 3 = 1.1.
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.6);
    const model = c.tensors.filter((t) => t.name.startsWith('model.')).map((t) => t.name.slice('model.'.length));
    const optim = c.tensors.filter((t) => t.name.startsWith('optim.')).map((t) => t.name);
    expect(optim.sort()).toEqual(model.map((n) => `optim.${n}.m`).sort());
  });

  it('k steps + resume in a new process == straight, byte for byte', async () => {
    const common = ['--label', 'species', '--optimizer', 'lion', '--lr', '0.003', '--beta2', '0.98', '--hidden', '16', '--batch-size', '16', '--dropout', '0.1', '--seed', '11', '--schedule', 'cosine', '--warmup-steps', '2', '--schedule-steps', '9', '--log-every', '2', '--eval-every', '3', '--quiet'];
    const straight = join(dir, 'straight.ckpt');
    const part = join(dir, 'part.ckpt');
    const resumed = join(dir, 'resumed.ckpt');
    const a = tabtrain(['train', '--data', IRIS, '--steps', '9', ...common, '--out', straight]);
    expect(a.code, a.stderr).toBe(0);
    const b = tabtrain(['train', '--data', IRIS, '--steps', '4', ...common, '--out', part]);
    expect(b.code, b.stderr).toBe(0);
    const c = tabtrain(['resume', part, '--data', IRIS, '--steps', '9', '--out', resumed]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toContain('resuming at step 4');
    const d = diffContents(await load(straight), await load(resumed));
    expect(d.tensors).toEqual([]);
    expect(d.state).toEqual([]);
    // and the comparison is not vacuous: the part-way checkpoint differs from the straight one
    expect(diffContents(await load(straight), await load(part)).tensors.length).toBeGreaterThan(0);
  });

  it('refuses bad or foreign optimizer settings in one line', () => {
    const cases: [string[], RegExp, number][] = [
      [['--optimizer', 'lion', '--beta2', '1'], /--beta2: expected a number in \[0, 1\), got '1'/, 2],
      [['--optimizer', 'adam'], /--optimizer: expected one of adamw, sgd, lion, got 'adam'/, 2],
      [['--optimizer', 'lion', '--momentum', '0.5'], /Momentum \(momentum\) is not a setting of Lion/, 1],
      [['--optimizer', 'lion', '--eps', '1e-6'], /Epsilon \(eps\) is not a setting of Lion/, 1],
    ];
    for (const [args, re, code] of cases) {
      const r = tabtrain(['train', '--data', IRIS, '--label', 'species', '--steps', '2', ...args, '--out', join(dir, 'never.ckpt')]);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
