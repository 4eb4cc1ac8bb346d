// The warning before storage runs out (src/store/tx.ts spaceWarning), which the worker gives once
// per training session after a checkpoint save (src/worker/runs.ts).
import { describe, expect, it } from 'vitest';
import { spaceWarning } from '../../src/store/tx';

const MB = 1024 * 1024;

describe('spaceWarning', () => {
  it('warns when less than room for a few more checkpoints (and their safety copies) is free', () => {
    const w = spaceWarning({ usage: 995 * MB, quota: 1000 * MB }, 1 * MB);
    expect(w).toMatch(/^Storage is nearly full: about 5\.0 MB free, and each checkpoint takes about 1\.0 MB \(twice, with its safety copy\)\. Free space by deleting old runs/);
    expect(w).not.toMatch(/try again/);
  });

  it('says nothing with room to spare, or without an estimate', () => {
    expect(spaceWarning({ usage: 100 * MB, quota: 1000 * MB }, 1 * MB)).toBeNull();
    expect(spaceWarning({ usage: 994 * MB, quota: 1000 * MB }, 1 * MB)).toBeNull(); // exactly 6 checkpoints free
    expect(spaceWarning(null, 1 * MB)).toBeNull();
    expect(spaceWarning({ usage: 0, quota: 0 }, 1 * MB)).toBeNull(); // no quota reported
  });
});
