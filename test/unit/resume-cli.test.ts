// `tabtrain resume` in child processes: every option applies (with a warning) or is refused
// (naming it, pointing to fresh); --force never trains a model that does not fit the data.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { readFileSync } from 'node:fs';
import { DATASETS, tabtrain, tempDir } from '../support/cli';

let dir: string;
let base: string;
const iris = () => join(DATASETS, 'iris.csv');

beforeAll(() => {
  dir = tempDir();
  base = join(dir, 'base.ckpt');
  const r = tabtrain(['train', '--data', iris(), '--steps', '4', '--hidden', '8', '--batch-size', '16', '--quiet', '--out', base]);
  expect(r.code, r.stderr).toBe(0);
});

describe('tabtrain resume options', () => {
  it('applies --weight-decay and --dropout, one warning line each', async () => {
    const out = join(dir, 'wd.ckpt');
    const r = tabtrain(['resume', base, '--data', iris(), '--steps', '6', '--weight-decay', '0.05', '--dropout', '0.2', '--quiet', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning: weight decay changed from 0\.01 to 0\.05: the run no longer matches an uninterrupted one$/m);
    expect(r.stderr).toMatch(/^warning: dropout changed from 0 to 0\.2: /m);
    const s = (await decodeCkpt(readFileSync(out))).state as any;
    expect([s.config.optimizer.weightDecay, s.config.model.dropout, s.step]).toEqual([0.05, 0.2, 6]);
  });

  it('refuses --hidden and --seed in one line naming both, before training, exit 1', () => {
    const out = join(dir, 'never.ckpt');
    const r = tabtrain(['resume', base, '--data', iris(), '--hidden', '16', '--seed', '9', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot resume with a changed .*hidden layers \(--hidden\)/);
    expect(r.stderr).toMatch(/seed \(--seed\).*fresh/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('--force onto data with more features is refused with the reason, not a matMul crash', () => {
    const out = join(dir, 'forced.ckpt');
    const r = tabtrain(['resume', base, '--data', join(DATASETS, 'penguins.csv'), '--force', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not fit this data.*layers\.0\.kernel/);
    expect(r.stderr).not.toMatch(/matMul/);
    expect(existsSync(out)).toBe(false);
  });

  it("--freeze on resume drops the slots; --freeze '' unfreezes with zero slots", async () => {
    const frozen = join(dir, 'frozen.ckpt');
    const thawed = join(dir, 'thawed.ckpt');
    const a = tabtrain(['resume', base, '--data', iris(), '--steps', '5', '--freeze', 'head.*', '--quiet', '--out', frozen]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/^warning: frozen parameters changed from none to head\.\*: /m);
    const f = await decodeCkpt(readFileSync(frozen));
    expect(f.tensors.some((t) => t.name.startsWith('optim.head.'))).toBe(false);
    const b = tabtrain(['resume', frozen, '--data', iris(), '--steps', '6', '--freeze', '', '--quiet', '--out', thawed]);
    expect(b.code, b.stderr).toBe(0);
    const t = await decodeCkpt(readFileSync(thawed));
    expect((t.state as any).config.freeze).toEqual([]);
    expect(t.tensors.some((x) => x.name === 'optim.head.kernel.m')).toBe(true);
  });
});
