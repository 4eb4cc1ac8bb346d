// Frozen parameters by name pattern: `*` matches any run of characters, everything else is
// literal. Stored in the run config and applied again on every resume.
import { ConfigError } from '../errors';

/**
 * Whether `name` matches the glob `pattern` as a whole. Patterns come from --freeze and from
 * checkpoints (hostile files), so this is not a RegExp: `*` as `.*` backtracks exponentially
 * (26 stars and a `Z` ran for hours). Two pointers with backtracking to the last star only:
 * at most pattern length x name length steps, no blowup.
 */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1; // the last `*` seen, and where in the name it started matching
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.length && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (star >= 0) {
      // let the last star take one more character, and retry from there
      p = star + 1;
      n = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Splits names into trainable and frozen; a pattern that matches nothing is an error (a typo). */
export function applyFreeze(names: string[], patterns: string[]): { trainable: string[]; frozen: string[] } {
  const res = patterns.map((p) => ({ p, hits: 0 }));
  const trainable: string[] = [];
  const frozen: string[] = [];
  for (const n of names) {
    let hit = false;
    for (const r of res) {
      if (globMatch(r.p, n)) {
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
