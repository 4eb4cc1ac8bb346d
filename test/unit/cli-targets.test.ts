// `--steps`/`--epochs` are totals; `resume --more-steps/--more-epochs` count from the checkpoint.
// A target already reached is said in words, exits 0 and writes nothing: before, it was a silent
// no-op that still rewrote --out.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { DATASETS, tabtrain, tempDir } from '../support/cli';

const IRIS = join(DATASETS, 'iris.csv');
let dir: string;
let base: string; // iris at step 6, epoch 2 (135 training rows / batch 45 = 3 steps an epoch)
beforeAll(() => {
  dir = tempDir();
  base = join(dir, 'base.ckpt');
  const r = tabtrain(['train', '--data', IRIS, '--epochs', '2', '--batch-size', '45', '--hidden', '8', '--quiet', '--out', base]);
  expect(r.code, r.stderr).toBe(0);
});

const position = async (p: string) => {
  const s = (await decodeCkpt(new Uint8Array(readFileSync(p)))).state as { step: number; cursor: { epoch: number } };
  return { step: s.step, epoch: s.cursor.epoch };
};

describe('a target already reached', () => {
  it('--steps below the checkpoint: says so, exits 0, leaves --out untouched', () => {
    const before = readFileSync(base);
    const mtime = statSync(base).mtimeMs;
    const r = tabtrain(['resume', base, '--data', IRIS, '--steps', '4', '--out', base]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('already at step 6; --steps 4 is reached: nothing to train. Use --more-steps N to train further.');
    expect(readFileSync(base).equals(before)).toBe(true);
    expect(statSync(base).mtimeMs).toBe(mtime);
  });

  it('--epochs below the checkpoint names epochs and --more-epochs; a new --out is not created', () => {
    const out = join(dir, 'never-epochs.ckpt');
    const r = tabtrain(['resume', base, '--data', IRIS, '--epochs', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('already at epoch 2; --epochs 1 is reached: nothing to train. Use --more-epochs N to train further.');
    expect(existsSync(out)).toBe(false);
  });

  it('no target on a finished run: the run\'s own target is named', () => {
    const out = join(dir, 'never-none.ckpt');
    const r = tabtrain(['resume', base, '--data', IRIS, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/already at epoch 2; the run's target \(--epochs 2\) is reached: nothing to train\. Use --more-epochs N/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('--more-steps / --more-epochs', () => {
  it('--more-steps N trains N steps past the checkpoint', async () => {
    const out = join(dir, 'more-steps.ckpt');
    const r = tabtrain(['resume', base, '--data', IRIS, '--more-steps', '2', '--quiet', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect((await position(out)).step).toBe(8);
  });

  it('--more-epochs N trains N epochs past the checkpoint', async () => {
    const out = join(dir, 'more-epochs.ckpt');
    const r = tabtrain(['resume', base, '--data', IRIS, '--more-epochs', '1', '--quiet', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(await position(out)).toEqual({ step: 9, epoch: 3 });
  });

  it('a total and a "more" of the same unit are refused together; bad counts are refused', () => {
    const cases: [string[], RegExp][] = [
      [['--steps', '10', '--more-steps', '2'], /--steps and --more-steps/],
      [['--epochs', '10', '--more-epochs', '2'], /--epochs and --more-epochs/],
      [['--more-steps', '0'], /--more-steps: expected a positive integer, got '0'/],
      [['--more-epochs', 'x'], /--more-epochs: expected a positive integer, got 'x'/],
    ];
    for (const [args, re] of cases) {
      const out = join(dir, 'never-combo.ckpt');
      const r = tabtrain(['resume', base, '--data', IRIS, ...args, '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(existsSync(out)).toBe(false);
    }
  });
});
