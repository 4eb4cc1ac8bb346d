// The app's loss chart draws the loss EMA as a second line: the page's curves (trace.ts) carry
// it from live progress events and from a checkpoint's history. Pure data, tested in Node.
import { describe, expect, it } from 'vitest';
import { applyEvent, createPageStore, type PageState } from '../../src/ui/page-state';
import { addPoint, emptyTrace, traceFromHistory } from '../../src/ui/trace';
import type { RunEvent } from '../../src/worker/protocol';

describe('the loss EMA in the page', () => {
  it('a checkpoint history gives an EMA column beside the raw loss (null where none was logged)', () => {
    const t = traceFromHistory([
      { step: 4, epoch: 0, valLoss: 1.2 },
      { step: 10, epoch: 0, trainLoss: 1, lossEma: 1, lr: 0.01 },
      { step: 20, epoch: 0, trainLoss: 0.5, lossEma: 0.95, lr: 0.01, valLoss: 0.7 },
    ]);
    expect(t.step).toEqual([4, 10, 20]);
    expect(t.train).toEqual([null, 1, 0.5]);
    expect(t.ema).toEqual([null, 1, 0.95]);
  });

  it('merges into the same step and drops it with the rest of a redone stretch', () => {
    const t = emptyTrace();
    addPoint(t, { step: 10, trainLoss: 1, lossEma: 1 });
    addPoint(t, { step: 10, valLoss: 0.9 }); // the evaluation of the same step keeps the EMA
    expect(t.ema).toEqual([1]);
    addPoint(t, { step: 20, trainLoss: 0.8, lossEma: 0.98 });
    addPoint(t, { step: 15, trainLoss: 0.7, lossEma: 0.97 }); // resumed from an older checkpoint
    expect(t.step).toEqual([10, 15]);
    expect(t.ema).toEqual([1, 0.97]);
  });

  it("the worker's progress events carry it into the selected run's curves", () => {
    const e: RunEvent = { type: 'progress', runId: 'a', step: 10, epoch: 0, totalSteps: 40, stepsPerEpoch: 4, lr: 0.01, trainLoss: 0.9, lossEma: 1.1, stepsPerSecond: 5, etaSeconds: 6 };
    const s: PageState = createPageStore().get();
    const next = { ...s, ...applyEvent(s, e) };
    expect(next.lives.get('a')!.trace.ema).toEqual([1.1]);
  });
});
