// Every option on resume either applies (with a warning naming the change) or is refused
// (naming the options and pointing to fresh); one table in the engine decides (session.ts).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig, validateConfig, type RunConfig } from '../../src/engine/config';
import type { Dataset } from '../../src/engine/data/types';
import { RESUME_RULES, resumeConfig, resumeSession } from '../../src/engine/session';
import { validateState } from '../../src/engine/state';
import { Trainer } from '../../src/engine/trainer';
import { roundTrip } from '../support/resume-check';
import { tabular, text } from '../support/synthetic';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function checkpoint(ds: Dataset, o: Record<string, unknown>, steps: number) {
  const t = Trainer.create({ config: makeConfig(ds, { hidden: [8], batchSize: 16, steps: 20, seed: 5, ...o }), dataset: ds });
  await t.train({ target: { steps } });
  const c = await roundTrip(await t.snapshot('latest'));
  t.dispose();
  return c;
}

describe('resume options: apply or refuse', () => {
  const saved: RunConfig = makeConfig(tabular(), { hidden: [8], batchSize: 16, steps: 20, seed: 5, dropout: 0.1 });

  it('applies weight decay, clipping, dropout and intervals, one warning each saying from what to what', () => {
    const { config, warnings } = resumeConfig(saved, { weightDecay: 0.05, clipNorm: 2, dropout: 0.3, logEvery: 3, evalEvery: 7 });
    expect((config.optimizer as { weightDecay: number }).weightDecay).toBe(0.05);
    expect([config.clipNorm, config.model.dropout, config.logEvery, config.evalEvery]).toEqual([2, 0.3, 3, 7]);
    expect(warnings).toHaveLength(5);
    expect(warnings[0]).toBe('weight decay changed from 0.01 to 0.05: the run no longer matches an uninterrupted one');
    expect(warnings.join('\n')).toMatch(/dropout changed from 0\.1 to 0\.3/);
    expect(warnings.join('\n')).toMatch(/clip norm changed from 1 to 2/i);
  });

  it('early stopping may change on resume: patience and the loss threshold apply with a warning; the threshold needs both halves', () => {
    const a = resumeConfig(saved, { patience: 3 });
    expect(a.config.patience).toBe(3);
    expect(a.warnings).toEqual(['early-stopping patience changed from none to 3: the run stops after that many evaluations without a new best']);
    const b = resumeConfig(saved, { stopIfLossAbove: 2, stopByStep: 15 });
    expect(b.config.stopIfLoss).toEqual({ above: 2, byStep: 15 });
    expect(b.warnings[0]).toMatch(/^loss threshold changed from none to 2 by step 15: /);
    expect(() => resumeConfig(saved, { stopIfLossAbove: 2 })).toThrow(/--stop-if-loss-above and --by-step go together/);
    // one half given: the other is kept from the run
    expect(resumeConfig(b.config, { stopByStep: 18 }).config.stopIfLoss).toEqual({ above: 2, byStep: 18 });
  });

  it('the same value as saved is no change: no warning, no refusal', () => {
    expect(resumeConfig(saved, { seed: 5, hidden: [8], family: 'mlp', optimizer: 'adamw', lr: saved.optimizer.lr }).warnings).toEqual([]);
  });

  it('refuses architecture, family, optimizer kind, seed, validation split and parse options, naming them and pointing to fresh', () => {
    expect(() => resumeConfig(saved, { hidden: [16], seed: 6, valFraction: 0.3 })).toThrow(/hidden.*seed.*validation.*fresh/i);
    expect(() => resumeConfig(saved, { optimizer: 'sgd' })).toThrow(/optimizer.*fresh/);
    expect(() => resumeConfig(saved, { label: 'other' })).toThrow(/label.*fresh/);
    expect(() => resumeConfig(saved, { contextLength: 8 })).toThrow(/context length.*fresh/i);
    try {
      resumeConfig(saved, { seed: 6 });
    } catch (e) {
      expect((e as { code: string }).code).toBe('fixed_setting');
      expect((e as Error).message.split('\n')).toHaveLength(1);
    }
  });

  it('refuses a setting the optimizer does not have', () => {
    expect(() => resumeConfig(saved, { momentum: 0.5 })).toThrow(/momentum/);
  });

  it('every rule in the table is apply or refuse, and every option key is classified', () => {
    for (const r of RESUME_RULES) expect(['apply', 'refuse']).toContain(r.rule);
    expect(RESUME_RULES.find((r) => r.key === 'batchSize')?.rule).toBe('apply');
    expect(RESUME_RULES.find((r) => r.key === 'seed')?.rule).toBe('refuse');
  });

  it('a changed weight decay reaches the trainer and the saved config', async () => {
    const ds = tabular();
    const c = await checkpoint(ds, {}, 4);
    const t = resumeSession(c, ds, { weightDecay: 0.05, steps: 6 });
    expect(t.warnings.some((w) => /weight decay changed from 0\.01 to 0\.05/.test(w))).toBe(true);
    await t.train();
    const s = validateState((await t.snapshot('final')).state);
    expect((s.config.optimizer as { weightDecay: number }).weightDecay).toBe(0.05);
    t.dispose();
  });

  it('freezing on resume drops the frozen parameters\' slots; unfreezing gives zero slots', async () => {
    const ds = tabular();
    const c = await checkpoint(ds, {}, 4);
    const t = resumeSession(c, ds, { freeze: ['head.*'], steps: 6 });
    expect(t.warnings.join('\n')).toMatch(/frozen parameters changed/);
    const headBefore = await t.vars.get('head.kernel')!.data();
    await t.train();
    expect(await t.vars.get('head.kernel')!.data()).toEqual(headBefore);
    const frozen = await roundTrip(await t.snapshot('latest'));
    t.dispose();
    expect(frozen.tensors.some((x) => x.name.startsWith('optim.head.'))).toBe(false);
    const u = resumeSession(frozen, ds, { freeze: [], steps: 8 });
    const m = u.optimizer.slots.get('head.kernel')!.get('m')!;
    expect(Array.from(await m.data()).every((v) => v === 0)).toBe(true);
    await u.train();
    expect(u.step).toBe(8);
    u.dispose();
  });
});

describe('a state whose config lacks a field', () => {
  it('is refused naming the missing field', () => {
    const saved = makeConfig(text(), { contextLength: 8, dModel: 16, numHeads: 2, numLayers: 1, steps: 3 });
    for (const key of ['optimizer', 'model', 'schedule', 'target', 'data'] as const) {
      const c = structuredClone(saved) as unknown as Record<string, unknown>;
      delete c[key];
      expect(validateConfig(c as unknown as RunConfig)).toBe(`${key} is missing`);
      c[key] = 3;
      expect(validateConfig(c as unknown as RunConfig)).toBe(`${key} is not an object`);
    }
  });

  it('a checkpoint whose config lacks the optimizer is refused by validateState, naming it', async () => {
    const c = await checkpoint(tabular(), {}, 1);
    const st = structuredClone(c.state) as Record<string, any>;
    delete st.config.optimizer;
    expect(() => validateState(st)).toThrow(/^checkpoint state: config: optimizer is missing$/);
  });
});
