// SIGKILL while the CLI writes --out: the file is always the previous complete checkpoint or
// the new one, never a torn one, and no temporary file is left in its place.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { Rng } from '../../src/engine/rng';
import { DATASETS, tabtrain, tabtrainAsync, tempDir } from '../support/cli';

it('25 SIGKILLs at random moments during checkpoint writes never leave a torn --out', async () => {
  const dir = tempDir();
  const out = join(dir, 'run.ckpt');
  // A first complete checkpoint, so "the previous one" exists from the start.
  expect(tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--steps', '2', '--hidden', '256,256', '--quiet', '--out', out]).code).toBe(0);
  const rng = Rng.fromSeed(99);
  const steps = new Set<number>();
  for (let trial = 0; trial < 25; trial++) {
    // Big enough hidden layers that each write takes a while; a checkpoint every step.
    const child = tabtrainAsync(['resume', out, '--data', join(DATASETS, 'iris.csv'), '--steps', '100000', '--checkpoint-every', '1', '--out', out], {
      // each 64 KiB chunk of a write takes 15 ms more: most kills land in the middle of a write
      TABTRAIN_TEST_WRITE_DELAY_MS: '15',
    });
    // The kill comes at a random moment after training started (start-up time varies with the
    // backend and the machine's load, so it is waited for, not guessed).
    await new Promise<void>((resolve) => {
      let said = '';
      child.stderr!.on('data', (d: Buffer) => {
        said += d.toString();
        if (said.includes('resuming at step')) resolve();
      });
      child.once('exit', () => resolve());
    });
    const delay = 100 + rng.nextInt(1500);
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const contents = await decodeCkpt(new Uint8Array(readFileSync(out))); // throws on a torn file
    steps.add((contents.state as { step: number }).step);
  }
  // The runs did make progress (the kills landed during training, not only before it).
  expect(steps.size).toBeGreaterThan(3);
  // Leftover temporaries may exist from killed writers, but never under the real name.
  expect(existsSync(out)).toBe(true);
  for (const f of readdirSync(dir)) expect(f === 'run.ckpt' || f.startsWith('.run.ckpt.tmp-')).toBe(true);
}, 240_000);
