// The page's retry when a rolling checkpoint (latest, best, final) was replaced under it (src/ui/ctx.ts):
// it decides on the error's kind and code, as the worker sends them, never on the message text.
import { describe, expect, it } from 'vitest';
import { StoreError, TabtrainError } from '../../src/errors';
import { withCheckpoint } from '../../src/ui/ctx';
import type { Api } from '../../src/ui/api';

/** An api whose listCheckpoints says the newest `latest` is `newId`. */
const apiWith = (newId: string) => ({ listCheckpoints: async () => [{ id: 'old', kind: 'latest', step: 10 }, { id: newId, kind: 'latest', step: 20 }] }) as unknown as Api;

/** fn fails once with `err`, then answers the id it was called with. */
function failingOnce(err: unknown) {
  const calls: string[] = [];
  const fn = async (id: string) => {
    calls.push(id);
    if (calls.length === 1) throw err;
    return id;
  };
  return { calls, fn };
}

const gone = new StoreError('not_found', 'checkpoint c1 is not stored (deleted?)', { details: { what: 'checkpoint', id: 'c1' } });

describe('withCheckpoint', () => {
  it('retries once with the new id when the checkpoint is not found', async () => {
    const { calls, fn } = failingOnce(gone);
    await expect(withCheckpoint(apiWith('c2'), 'c1', { runId: 'r', kind: 'latest' }, fn)).resolves.toBe('c2');
    expect(calls).toEqual(['c2', 'c2']);
  });

  it('does not retry on a message that merely says "not stored"', async () => {
    const { calls, fn } = failingOnce(new Error('checkpoint c1 is not stored'));
    await expect(withCheckpoint(apiWith('c2'), 'c1', { runId: 'r', kind: 'latest' }, fn)).rejects.toThrow('not stored');
    expect(calls).toHaveLength(1);
  });

  it('does not retry on other codes, or on a missing dataset', async () => {
    for (const err of [
      new StoreError('missing_blob', 'bytes missing'),
      new StoreError('not_found', 'the dataset is no longer stored', { details: { what: 'dataset', id: 'h' } }),
      new TabtrainError('not_found', 'not a store error'),
    ]) {
      const { calls, fn } = failingOnce(err);
      await expect(withCheckpoint(apiWith('c2'), 'c1', { runId: 'r', kind: 'best' }, fn)).rejects.toBe(err);
      expect(calls).toHaveLength(1);
    }
  });

  it('retries a final checkpoint: a resumed run that finishes replaces it (retention keeps one final)', async () => {
    const api = { listCheckpoints: async () => [{ id: 'c1', kind: 'final', step: 4 }, { id: 'c3', kind: 'final', step: 8 }] } as unknown as Api;
    const { calls, fn } = failingOnce(gone);
    await expect(withCheckpoint(api, 'c1', { runId: 'r', kind: 'final' }, fn)).resolves.toBe('c3');
    expect(calls).toEqual(['c3', 'c3']);
  });

  it('never retries a periodic checkpoint (each is its own file)', async () => {
    const { calls, fn } = failingOnce(gone);
    await expect(withCheckpoint(apiWith('c2'), 'c1', { runId: 'r', kind: 'periodic' }, fn)).rejects.toBe(gone);
    expect(calls).toEqual(['c1']);
  });
});
