// compat.ts: resume compatibility, the fresh-from-weights plan, dataset fingerprints.

import { describe, expect, it } from 'vitest';
import { checkResumeCompat, compareFingerprints, type TensorSpec } from '../../src/ckpt/compat';
import { planFresh } from '../../src/engine/fresh-map';

/** The fresh plan by name and shape alone (no axis indexed by the data). */
const planFreshFromWeights = (ckpt: TensorSpec[], expected: TensorSpec[]) => {
  const { loaded, reinitialised, ignored } = planFresh(ckpt, expected.filter((t) => t.name.startsWith('model.')), [], () => undefined, () => undefined);
  return { loaded, reinitialised, ignored };
};

const model: TensorSpec[] = [
  { name: 'model.dense_1.kernel', shape: [4, 16] },
  { name: 'model.dense_1.bias', shape: [16] },
  { name: 'model.head.kernel', shape: [16, 3] },
  { name: 'model.head.bias', shape: [3] },
];
const optim: TensorSpec[] = model.map((t) => ({ name: `optim.${t.name.slice(6)}.m`, shape: t.shape }));

describe('checkResumeCompat', () => {
  it('accepts the same names and shapes, in any order, ignoring optim.*', () => {
    expect(checkResumeCompat([...optim, ...[...model].reverse()], model)).toEqual({ ok: true });
    expect(checkResumeCompat([...model, { name: 'optim.step', shape: [] }], model)).toEqual({ ok: true });
  });

  it('names each missing, extra and mis-shaped tensor with both shapes', () => {
    const expected = [
      { name: 'model.dense_1.kernel', shape: [4, 16] },
      { name: 'model.dense_1.bias', shape: [16] },
      { name: 'model.head.kernel', shape: [16, 4] },
      { name: 'model.head.bias', shape: [4] },
      { name: 'model.head2.bias', shape: [] },
    ];
    const ckpt = [...model, { name: 'model.dropout.mask', shape: [16] }];
    expect(checkResumeCompat(ckpt, expected)).toEqual({
      ok: false,
      problems: [
        'model.head.kernel: checkpoint has [16,3], model expects [16,4]',
        'model.head.bias: checkpoint has [3], model expects [4]',
        'model.head2.bias: missing from the checkpoint, model expects []',
        'model.dropout.mask: checkpoint has [16], the model has no such tensor',
      ],
    });
  });

  it('treats a rank change as a mismatch, and an empty checkpoint as all missing', () => {
    const r = checkResumeCompat([{ name: 'model.head.bias', shape: [3, 1] }], [{ name: 'model.head.bias', shape: [3] }]);
    expect(r).toEqual({ ok: false, problems: ['model.head.bias: checkpoint has [3,1], model expects [3]'] });
    const all = checkResumeCompat([], model);
    expect(all.ok).toBe(false);
    expect(!all.ok && all.problems).toHaveLength(4);
  });

  it('uses the first entry when a name is listed twice', () => {
    const dup = [{ name: 'model.head.bias', shape: [4] }, { name: 'model.head.bias', shape: [3] }];
    expect(checkResumeCompat(dup, [{ name: 'model.head.bias', shape: [3] }]).ok).toBe(false);
  });
});

describe('planFresh by name and shape (engine/fresh-map.ts)', () => {
  it('loads matching tensors, reinitialises missing/mis-shaped ones, ignores extras', () => {
    const expected = [
      { name: 'model.dense_1.kernel', shape: [4, 16] },
      { name: 'model.dense_1.bias', shape: [16] },
      { name: 'model.head.kernel', shape: [16, 5] },
      { name: 'model.head.bias', shape: [5] },
      { name: 'model.dense_2.kernel', shape: [16, 16] },
    ];
    const ckpt = [...model, ...optim, { name: 'model.old_layer.kernel', shape: [2, 2] }];
    expect(planFreshFromWeights(ckpt, expected)).toEqual({
      loaded: ['model.dense_1.kernel', 'model.dense_1.bias'],
      reinitialised: [
        { name: 'model.head.kernel', reason: 'shape differs: checkpoint has [16,3], model expects [16,5]' },
        { name: 'model.head.bias', reason: 'shape differs: checkpoint has [3], model expects [5]' },
        { name: 'model.dense_2.kernel', reason: 'not in the checkpoint' },
      ],
      ignored: ['model.old_layer.kernel'],
    });
  });

  it('never loads or lists optim.* tensors', () => {
    const plan = planFreshFromWeights([...model, ...optim], [...model, ...optim]);
    expect(plan.loaded).toEqual(model.map((t) => t.name));
    expect(plan.reinitialised).toEqual([]);
    expect(plan.ignored).toEqual([]);
    expect([...plan.loaded, ...plan.ignored].some((n) => n.startsWith('optim.'))).toBe(false);
  });

  it('an identical model loads everything', () => {
    expect(planFreshFromWeights(model, model)).toEqual({ loaded: model.map((t) => t.name), reinitialised: [], ignored: [] });
  });
});

describe('compareFingerprints', () => {
  const a = { sha256: 'a'.repeat(64), summary: 'iris.csv, 150 rows, 5 columns' };
  const b = { sha256: 'b'.repeat(64), summary: 'iris.csv, 120 rows, 5 columns' };

  it('same dataset: resume is fine', () => {
    const r = compareFingerprints(a, { ...a });
    expect(r.same).toBe(true);
    expect(r.message).toMatch(/resum/i);
  });

  it('changed dataset: recommends fresh from weights and says why', () => {
    const r = compareFingerprints(a, b);
    expect(r.same).toBe(false);
    expect(r.message).toContain('The dataset changed');
    expect(r.message).toContain('150 rows');
    expect(r.message).toContain('120 rows');
    expect(r.message).toMatch(/optimizer moments/);
    expect(r.message).toMatch(/schedule/);
    expect(r.message).toMatch(/data order/);
    expect(r.message).toMatch(/start fresh from the checkpoint's weights/i);
  });

  it('no fingerprint in the checkpoint: cannot tell, says so', () => {
    const r = compareFingerprints(null, b);
    expect(r.same).toBe(false);
    expect(r.message).toMatch(/cannot check/);
    expect(r.message).toMatch(/fresh from the checkpoint's weights/);
  });
});
