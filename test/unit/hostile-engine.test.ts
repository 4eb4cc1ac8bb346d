// Hostile input against the engine (issue 15, engine side): sizes that would exhaust memory
// are refused before anything is allocated, freeze patterns cannot backtrack for hours, and
// evaluation stays bounded whatever the number of classes. No device: pure checks, plus a few
// tiny trainers on the CPU backend.
import { describe, expect, it } from 'vitest';
import { makeConfig, validateConfig } from '../../src/engine/config';
import { LIMITS } from '../../src/engine/defaults';
import { applyFreeze, globMatch } from '../../src/engine/freeze';
import { tabular } from '../support/synthetic';

/** Milliseconds `fn` takes (it runs synchronously). */
function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

describe('freeze patterns: a linear-time glob', () => {
  it('keeps the old meaning: whole names, * is any run, everything else literal', () => {
    expect(globMatch('layers.*', 'layers.0.kernel')).toBe(true);
    expect(globMatch('layers.0', 'layers.0.kernel')).toBe(false);
    expect(globMatch('a.b', 'aXb')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('', 'a')).toBe(false);
    expect(globMatch('*.kernel', 'blocks.0.attn.qkv.kernel')).toBe(true);
    expect(globMatch('*.bias', 'blocks.0.attn.qkv.kernel')).toBe(false);
    expect(globMatch('blocks.*.attn.*', 'blocks.1.attn.proj.bias')).toBe(true);
    expect(globMatch('a*b*c', 'aXbYbZc')).toBe(true);
    expect(globMatch('a*b*c', 'aXbYbZ')).toBe(false);
    expect(globMatch('[a]+(b)?', '[a]+(b)?')).toBe(true); // regex characters are literal
    expect(globMatch('**x**', 'x')).toBe(true);
  });

  it('26 stars and a Z finish at once against long names (the RegExp took hours)', () => {
    const pattern = `${'*'.repeat(26)}Z`;
    const names = ['a'.repeat(64), `layers.${'0'.repeat(200)}.kernel`];
    let err: unknown;
    const ms = timed(() => {
      try {
        applyFreeze(names, [pattern]);
      } catch (e) {
        err = e;
      }
    });
    expect(ms).toBeLessThan(200);
    expect(err).toMatchObject({ name: 'ConfigError', code: 'bad_freeze' });
    // the worst case of the matcher is pattern length x name length, no blowup
    expect(timed(() => globMatch(`${'*a'.repeat(500)}Z`, 'a'.repeat(5000)))).toBeLessThan(500);
  });

  it('a config (from a form or a checkpoint) with absurdly many or long patterns is refused', () => {
    const ok = makeConfig(tabular(), {});
    expect(validateConfig({ ...ok, freeze: ['*'.repeat(LIMITS.freezePatternLength + 1)] })).toMatch(/longer than 256 characters/);
    expect(validateConfig({ ...ok, freeze: Array.from({ length: LIMITS.freezePatterns + 1 }, () => 'head.*') })).toMatch(/at most 256 freeze patterns/);
    expect(validateConfig({ ...ok, freeze: ['head.*'] })).toBeNull();
  });
});
