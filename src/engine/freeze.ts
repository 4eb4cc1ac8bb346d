// Frozen parameters by name pattern: `*` matches any run of characters, everything else is
// literal. Stored in the run config and applied again on every resume.
import { ConfigError } from '../errors';

export function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Splits names into trainable and frozen; a pattern that matches nothing is an error (a typo). */
export function applyFreeze(names: string[], patterns: string[]): { trainable: string[]; frozen: string[] } {
  const res = patterns.map((p) => ({ p, re: patternToRegExp(p), hits: 0 }));
  const trainable: string[] = [];
  const frozen: string[] = [];
  for (const n of names) {
    let hit = false;
    for (const r of res) {
      if (r.re.test(n)) {
        r.hits++;
        hit = true;
      }
    }
    (hit ? frozen : trainable).push(n);
  }
  const unused = res.filter((r) => r.hits === 0).map((r) => r.p);
  if (unused.length) {
    throw new ConfigError('bad_freeze', `freeze pattern ${unused.map((u) => `'${u}'`).join(', ')} matches no parameter (parameters: ${names.join(', ')})`);
  }
  if (trainable.length === 0) throw new ConfigError('bad_freeze', 'every parameter is frozen: nothing would train');
  return { trainable, frozen };
}
