// Schedules follow the plan: the cosine length is the run's target in steps (given as steps or
// epochs), --reschedule works with either, a batch-size change keeps the position in samples
// exactly and reconfigures the schedule; the linear decay schedule.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/engine/config';
import { Cursor } from '../../src/engine/cursor';
import { Rng } from '../../src/engine/rng';
import { lrAt, validateSchedule } from '../../src/engine/schedule';
import { resumeSession } from '../../src/engine/session';
import { Trainer } from '../../src/engine/trainer';
import { roundTrip } from '../support/resume-check';
import { tabular } from '../support/synthetic';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// tabular(100): 10 validation rows (default 0.1), 90 training rows.
const ds = () => tabular(100, 5, 3);

describe('schedule length', () => {
  it('cosine defaults to the target in steps when the target is in epochs', () => {
    const c = makeConfig(ds(), { schedule: 'cosine', epochs: 4, batchSize: 16 });
    expect(c.schedule).toMatchObject({ kind: 'cosine', totalSteps: 4 * Math.floor(90 / 16) });
    const both = makeConfig(ds(), { schedule: 'cosine', epochs: 4, steps: 7, batchSize: 16 });
    expect(both.schedule).toMatchObject({ totalSteps: 7 });
  });

  it('linear: warmup, then straight down to lr*minFactor at the end, floor after', () => {
    const s = { kind: 'linear' as const, warmupSteps: 2, totalSteps: 12, minFactor: 0.1 };
    expect(validateSchedule(s)).toBeNull();
    expect(lrAt(s, 1, 0)).toBeCloseTo(0.5);
    expect(lrAt(s, 1, 2)).toBeCloseTo(1);
    expect(lrAt(s, 1, 7)).toBeCloseTo(1 - 0.9 * 0.5);
    expect(lrAt(s, 1, 12)).toBeCloseTo(0.1);
    expect(lrAt(s, 1, 50)).toBeCloseTo(0.1);
    expect(makeConfig(ds(), { schedule: 'linear', steps: 30 }).schedule).toMatchObject({ kind: 'linear', totalSteps: 30 });
  });
});

async function saved(o: Record<string, unknown>, steps: number) {
  const t = Trainer.create({ config: makeConfig(ds(), { hidden: [8], seed: 3, ...o }), dataset: ds() });
  await t.train({ target: { steps } });
  const c = await roundTrip(await t.snapshot('latest'));
  t.dispose();
  return c;
}

describe('reschedule', () => {
  it('--reschedule with --epochs stretches the cosine to the new target in steps', async () => {
    const c = await saved({ schedule: 'cosine', epochs: 2, batchSize: 16 }, 3);
    const t = resumeSession(c, ds(), { epochs: 5, reschedule: true });
    expect(t.config.schedule).toMatchObject({ totalSteps: 5 * 5 });
    expect(t.totalSteps()).toBe(25);
    t.dispose();
  });
});

describe('batch size change on resume', () => {
  it('the cursor consumes the rest of the epoch at the new size: no sample skipped or repeated', () => {
    // 90 samples, batch 16 for 2 steps (index 32); then batch 64: 58 left, fewer than 64.
    const rng = Rng.fromSeed(1);
    const c = Cursor.start(rng, 90);
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) seen.push(...c.next(16, rng));
    const r = Cursor.restore(c.state, 90);
    const first = r.next(64, rng);
    seen.push(...first);
    // the first batch is the 58 left in epoch 0 plus 6 from epoch 1
    expect(r.epoch).toBe(1);
    const epoch0 = seen.slice(0, 90);
    expect(new Set(epoch0).size).toBe(90);
  });

  it('growing the batch trains exactly the planned steps and ends at the target epoch', async () => {
    const c = await saved({ epochs: 3, batchSize: 8 }, 4);
    const t = resumeSession(c, ds(), { batchSize: 64 });
    const planned = t.totalSteps();
    // 58 samples were left in epoch 0: the first batch of 64 takes them and 6 of epoch 1
    t.stepOnce();
    expect([t.epoch, t.indexInEpoch]).toEqual([1, 6]);
    await t.train();
    expect(t.step).toBe(planned);
    expect(t.epoch).toBe(3);
    t.dispose();
  });

  it('reconfigures a cosine schedule for the new number of steps, with a warning', async () => {
    const c = await saved({ schedule: 'cosine', epochs: 4, batchSize: 8 }, 4);
    // 90/8 = 11 steps an epoch: the cosine spans 44 steps; at batch 16 (5 an epoch) the target is fewer
    const t = resumeSession(c, ds(), { batchSize: 16 });
    expect(t.warnings.join('\n')).toMatch(/cosine schedule .*44 .* steps/);
    expect((t.config.schedule as { totalSteps: number }).totalSteps).toBe(t.totalSteps());
    t.dispose();
  });
});
