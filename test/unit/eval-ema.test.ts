// The smoothed training loss: an EMA over the logged losses, kept in the state's metrics (so it
// is in every checkpoint, checked by validateState and resumed exactly), and shown by the CLI's
// progress line and `inspect` (text and --json).
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { makeConfig } from '../../src/engine/config';
import { LOSS_EMA_BETA } from '../../src/engine/defaults';
import { validateState, type StateMeta } from '../../src/engine/state';
import { Trainer } from '../../src/engine/trainer';
import { readFileSync } from 'node:fs';
import { roundTrip } from '../support/resume-check';
import { DATASETS, tabtrain, tempDir } from '../support/cli';
import { tabular } from '../support/synthetic';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cfg = () => makeConfig(tabular(), { hidden: [8], batchSize: 16, seed: 5, steps: 12, logEvery: 2, evalEvery: 4, dropout: 0.1 });

describe('the loss EMA', () => {
  it('is the EMA of the logged losses (first = the first loss), on each logged point and in the metrics', async () => {
    const t = Trainer.create({ config: cfg(), dataset: tabular() });
    await t.train();
    const logged = t.history.filter((p) => p.trainLoss !== undefined);
    expect(logged.length).toBe(6);
    let ema: number | undefined;
    for (const p of logged) {
      ema = ema === undefined ? p.trainLoss! : LOSS_EMA_BETA * ema + (1 - LOSS_EMA_BETA) * p.trainLoss!;
      expect(p.lossEma).toBe(ema);
    }
    const s = (await t.snapshot('final')).state as unknown as StateMeta;
    expect(s.metrics.lossEma).toBe(ema);
    t.dispose();
  });

  it('resumes exactly: a run split at any step ends with the same metrics (EMA, history, best)', async () => {
    const straight = Trainer.create({ config: cfg(), dataset: tabular(), runId: 'r' });
    await straight.train();
    const ref = (await straight.snapshot('final')).state as unknown as StateMeta;
    straight.dispose();
    for (const k of [1, 3, 5, 9]) {
      const first = Trainer.create({ config: cfg(), dataset: tabular(), runId: 'r' });
      await first.train({ target: { steps: k } });
      const saved = await roundTrip(await first.snapshot('latest'));
      first.dispose();
      const second = Trainer.resume(saved, tabular());
      await second.train();
      const got = (await second.snapshot('final')).state as unknown as StateMeta;
      second.dispose();
      expect(got.metrics, `k=${k}`).toEqual(ref.metrics);
    }
  });

  it('validateState checks it; a checkpoint from before it (no EMA yet) still loads', async () => {
    const t = Trainer.create({ config: cfg(), dataset: tabular() });
    await t.train({ target: { steps: 4 } });
    const good = (await t.snapshot('latest')).state;
    t.dispose();
    const with_ = (mutate: (m: any) => void) => {
      const m = JSON.parse(JSON.stringify(good));
      mutate(m);
      return () => validateState(m);
    };
    expect(with_(() => {})).not.toThrow();
    expect(with_((m) => (m.metrics.lossEma = 'low'))).toThrow(/metrics\.lossEma must be a finite number/);
    expect(with_((m) => (m.metrics.lossEma = null))).toThrow(/metrics\.lossEma must be a finite number/);
    expect(with_((m) => (m.metrics.history[0].lossEma = 'x'))).toThrow(/metrics\.history\[0\]: lossEma must be a finite number/);
    expect(with_((m) => (m.metrics.sinceBest = -1))).toThrow(/metrics\.sinceBest must be a non-negative integer/);
    expect(with_((m) => delete m.metrics.lossEma)).not.toThrow();
  });
});

describe('the loss EMA in the CLI', () => {
  it('is in the progress line, and in inspect (text and --json)', async () => {
    const dir = tempDir();
    const p = join(dir, 'ema.ckpt');
    const r = tabtrain(['train', '--data', join(DATASETS, 'iris.csv'), '--label', 'species', '--steps', '10', '--log-every', '5', '--out', p]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/step 10\/10 epoch \d+ loss \d+\.\d{4} \(ema \d+\.\d{4}\)/);
    const state = (await decodeCkpt(new Uint8Array(readFileSync(p)))).state as unknown as StateMeta;
    const ema = state.metrics.lossEma!;
    expect(ema).toBeTypeOf('number');
    const human = tabtrain(['inspect', p]);
    expect(human.stdout).toContain(`loss EMA: ${ema.toFixed(4)}`);
    expect(human.stdout).toMatch(/step 10 epoch \d+ loss \d+\.\d{4} ema \d+\.\d{4} val_loss \d+\.\d{4}/);
    const j = JSON.parse(tabtrain(['inspect', p, '--json']).stdout);
    expect(j.state.metrics.lossEma).toBe(ema);
  });
});
