// Typing and encoding the columns of a CSV (csv.ts reads the table, this decides what each
// column is). Every value arrives as a string and is typed here, per column:
//   numeric      every non-missing value is a finite decimal number -> mean-filled, standardised
//   categorical  anything else -> one-hot `col=value`, missing values get their own "(missing)"
// Columns that cannot help a model are left out and reported (DroppedColumn), never silently:
//   - every value missing, or one value only (constant; after filling, std 0)
//   - identifiers: a column whose NAME looks like an id (id, user_id, PassengerId, index, a blank
//     first header as pandas writes) and whose values are all different; or, whatever its name,
//     an integer column that is 0..n-1 or 1..n in SHUFFLED order (n >= 20). In file order such a
//     column may be a time step with a trend, and distinct integers elsewhere (years) may carry
//     signal: both kept.
//   - text columns where every value is different (names), or with more distinct values than
//     max(50, rows/2), or mostly unique (> 50 distinct and more than half the non-missing rows
//     distinct, e.g. cabin numbers): one-hot over near-unique values only memorises rows.
//   - a column that is a one-to-one relabelling of the label (titanic's `alive` is yes/no for
//     survived 1/0): a leak that teaches nothing and reports 100%; or of an earlier kept column
//     (`class` First/Second/Third = `pclass` 1/2/3): a duplicate. Only checked where values
//     repeat (n >= 20 rows, at most n/2 distinct values), so coincidences cannot trigger it.
// The rules give reasons a person can check in the "what I understood" panel; a wrongly dropped
// column is one of them, never a silent change.
import { DatasetError } from './errors';
import type { TaskKind } from './types';

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', '?']);
const MAX_CLASSES_INTEGER_LABEL = 20;

/** Empty, NA, N/A, NaN, null or ? (any case). Cheap tests first: this runs once per cell. */
export function isMissing(v: string): boolean {
  if (v.length === 0) return true;
  if (v.length > 4) return false;
  const c = v.charCodeAt(0);
  return (c === 63 || (c | 32) === 110) && MISSING.has(v.toLowerCase());
}

/** A finite decimal number, else NaN. Number() alone also reads hex/binary/octal ("0x1F"). */
function parseNum(v: string): number {
  const x = Number(v);
  if (v.length === 0 || !Number.isFinite(x)) return NaN;
  const c1 = v.charCodeAt(1) | 32;
  return v.charCodeAt(0) === 48 && (c1 === 120 || c1 === 98 || c1 === 111) ? NaN : x;
}

/**
 * A value written as a number that does not fit a double ("1e400", "-2e308", "Infinity"): it
 * would become +-Infinity and then NaN in every statistic, so it is refused with its line.
 */
export function isOverflow(v: string): boolean {
  if (v.length === 0) return false;
  const x = Number(v);
  return x === Infinity || x === -Infinity;
}

/**
 * Mean, standard deviation and the standardising map (v - mean) / std of the non-NaN values
 * (NaN = missing, skipped in the sums; `count` is what the squares are divided by). Computed
 * plainly first, which is what every existing dataset and checkpoint was made with (the same
 * bits); only when that overflows (a column of +-1.7e308 gave Infinity - Infinity = NaN, a label
 * up to 3.6e201 a std of Infinity) again on the values divided by the largest magnitude, where
 * neither the sums nor the squares can overflow: (v / scale - m) / sd stays finite, and
 * std = sd * scale <= scale does too.
 */
export function columnStats(nums: ArrayLike<number>, count: number): { mean: number; std: number; standardise: (v: number) => number } {
  let sum = 0, k = 0;
  for (let i = 0; i < nums.length; i++) { const v = nums[i]!; if (v === v) { sum += v; k++; } } // v === v: not NaN
  const mean = sum / k;
  let v2 = 0;
  for (let i = 0; i < nums.length; i++) { const v = nums[i]!; if (v === v) v2 += (v - mean) ** 2; }
  const std = Math.sqrt(v2 / count);
  if (Number.isFinite(mean) && Number.isFinite(std)) return { mean, std, standardise: (v) => (v - mean) / std };
  let scale = 0;
  for (let i = 0; i < nums.length; i++) { const a = Math.abs(nums[i]!); if (a > scale) scale = a; } // NaN > x is false
  let s = 0;
  for (let i = 0; i < nums.length; i++) { const v = nums[i]!; if (v === v) s += v / scale; }
  const m = s / k;
  let w2 = 0;
  for (let i = 0; i < nums.length; i++) { const v = nums[i]!; if (v === v) w2 += (v / scale - m) ** 2; }
  const sd = Math.sqrt(w2 / count);
  return { mean: m * scale, std: sd * scale, standardise: (v) => (v / scale - m) / sd };
}

/** A refusal for a value that is not a finite number, with its column (or label) and line. */
function nonFinite(what: string, value: string, line: number): DatasetError {
  return new DatasetError(
    'non_finite',
    `line ${line}: ${what} has the value "${value}", which is not a finite number (beyond +-1.8e308); fix or remove the value`,
    `line ${line}`,
    { column: what, line, value },
  );
}

/** Code-unit order: deterministic everywhere, unlike localeCompare. */
const lexical = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Column names that announce an identifier. Deliberately narrow: "paid" or "grid" must not match. */
export function looksLikeIdName(name: string): boolean {
  const n = name.trim();
  return (
    /^(id|ids|idx|index|key|uuid|guid|row|rowid|row_id|row number|#|no|unnamed: ?0)$/i.test(n) ||
    /(^|[\s_.-])(id|uuid|guid)$/i.test(n) ||
    /[a-z0-9](Id|ID)$/.test(n) ||
    /^id[\s_.-]/i.test(n)
  );
}

export interface Label {
  task: TaskKind;
  y: Int32Array | Float32Array;
  classes: string[];
  labelStats?: { mean: number; std: number };
}

export function encodeLabel(values: string[], labelName: string, task: TaskKind | undefined, line: (i: number) => number): Label {
  const nums = values.map(parseNum);
  const firstBad = nums.findIndex((v) => Number.isNaN(v));
  const distinct = new Set(nums.filter((v) => !Number.isNaN(v))).size;
  const badLabel = (why: (found: string) => string): DatasetError => {
    const l = line(firstBad);
    return new DatasetError('label-not-numeric', `line ${l}: label ${labelName} ${why(`"${values[firstBad]}"`)}`, `line ${l}`);
  };
  // A label written as a number too large for a double: refused where the label is read as numbers.
  const over = values.findIndex(isOverflow);
  if (over >= 0 && task !== 'classification' && (task === 'regression' || nums.every((v, i) => !Number.isNaN(v) || isOverflow(values[i]!)))) {
    throw nonFinite(`label ${labelName}`, values[over]!, line(over));
  }
  if (task === 'regression' && firstBad >= 0) throw badLabel((found) => `must be a number for regression, found ${found}`);
  if (task === undefined) {
    if (firstBad < 0) {
      const integral = nums.every((v) => Number.isInteger(v));
      task = distinct > MAX_CLASSES_INTEGER_LABEL || !integral ? 'regression' : 'classification';
    } else {
      // Mostly numbers with many values and a stray word: a regression label with a typo, not
      // hundreds of classes. Say where the typo is.
      const numeric = nums.length - nums.filter((v) => Number.isNaN(v)).length;
      if (numeric >= 0.9 * nums.length && distinct > MAX_CLASSES_INTEGER_LABEL) {
        throw badLabel((found) => `looks numeric (regression) but has the text ${found}; fix the value or choose classification`);
      }
      task = 'classification';
    }
  }
  if (task === 'regression') {
    // Overflow-safe statistics: a label up to 3.6e201 used to overflow the std to Infinity, and every
    // target became 0 with training "fine".
    const { mean, std, standardise } = columnStats(nums, nums.length);
    if (!(std > 0)) throw new DatasetError('constant-label', `label ${labelName} has the same value in every row; nothing to predict`);
    const y = Float32Array.from(nums, standardise);
    const bad = y.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw nonFinite(`label ${labelName}`, values[bad]!, line(bad));
    return { task, y, classes: [], labelStats: { mean, std } };
  }
  // Numeric classes are compared as numbers ("1.0" and "1" are one class) and sorted numerically.
  const allNum = firstBad < 0;
  const keys = allNum ? nums.map((v) => String(v)) : values;
  const uniq = [...new Set(keys)];
  const classes = allNum ? uniq.sort((a, b) => Number(a) - Number(b)) : uniq.sort(lexical);
  if (classes.length < 2) {
    throw new DatasetError('single-class', `label ${labelName} has only one class ("${classes[0]}"); classification needs at least 2`);
  }
  const idx = new Map(classes.map((c, i) => [c, i]));
  return { task, y: Int32Array.from(keys, (k) => idx.get(k)!), classes };
}

/** A kept column: its feature names and a writer for one row's feature values. */
export interface Encoder {
  names: string[];
  write: (row: number, out: Float32Array, at: number) => void;
}

/** One pass over a column: what is missing, what parses as a number, first-seen value codes. */
export interface Analysis {
  missing: Uint8Array;
  /** number of non-missing values */
  m: number;
  /** parsed values; NaN where missing or not a number */
  nums: Float64Array;
  /** row of the first non-missing value that is not a number, or -1 (a number too large for a double counts as text, see firstOverflow) */
  firstText: number;
  /** row of the first value written as a number too large for a double ("1e400"), or -1 */
  firstOverflow: number;
  /** distinct non-missing value -> its first-seen code */
  seen: Map<string, number>;
  /**
   * Values renumbered by first appearance (all missing values as one value). Two columns
   * determine each other one-to-one exactly when these codes are equal, which finds label
   * copies and duplicated columns in one pass per column instead of comparing every pair.
   */
  codes: Int32Array;
  /** number of distinct codes (missing counted as one value) */
  numCodes: number;
}

export function analyse(values: string[]): Analysis {
  const n = values.length;
  const missing = new Uint8Array(n), nums = new Float64Array(n), codes = new Int32Array(n);
  const seen = new Map<string, number>();
  let m = 0, firstText = -1, firstOverflow = -1, next = 0, missingCode = -1;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (isMissing(v)) {
      missing[i] = 1;
      nums[i] = NaN;
      if (missingCode < 0) missingCode = next++;
      codes[i] = missingCode;
      continue;
    }
    m++;
    const x = (nums[i] = parseNum(v));
    // Once the column has text, an overflowing value is one more category: no need to look.
    if (Number.isNaN(x) && firstText < 0) {
      if (!isOverflow(v)) firstText = i;
      else if (firstOverflow < 0) firstOverflow = i;
    }
    let code = seen.get(v);
    if (code === undefined) seen.set(v, (code = next++));
    codes[i] = code;
  }
  return { missing, m, nums, firstText, firstOverflow, seen, codes, numCodes: next };
}

export function encodeColumn(col: string, values: string[], a: Analysis, line: (i: number) => number, notes: string[]): Encoder | string {
  const n = values.length;
  const { m, nums, firstText, missing } = a;
  const distinct = a.seen.size;
  if (m === 0) return 'every value is missing';
  const first = (): string => values[missing.indexOf(0)]!;
  if (distinct === 1 && m === n) return `constant (every value is "${first()}")`;
  if (looksLikeIdName(col) && distinct === m) return 'identifier (the name looks like an id and every value is different)';

  // Every value a number, but one too large for a double: refused with its line, not typed as text.
  if (firstText < 0 && a.firstOverflow >= 0) throw nonFinite(`column ${col}`, values[a.firstOverflow]!, line(a.firstOverflow));
  if (firstText < 0) {
    // A shuffled 0..n-1 / 1..n can only be an id numbered before the rows were shuffled. In file
    // order it may be a time step (day 1..365 of a sales series) that carries a trend: kept.
    if (m === n && distinct === n && n >= 20 && nums.every(Number.isInteger)) {
      let min = Infinity, max = -Infinity, sorted = true; // no Math.min(...xs): large n overflows the stack
      nums.forEach((v, i) => { if (v < min) min = v; if (v > max) max = v; if (i > 0 && v < nums[i - 1]!) sorted = false; });
      if ((min === 0 || min === 1) && max - min === n - 1 && !sorted) return `row id (the values are ${min}..${max} in shuffled order, each once)`;
    }
    // Filled values sit at the mean and add nothing to the sum, but count in n. Overflow-safe, so
    // a column of +-1e308 standardises to finite values (it became NaN before, without a word).
    const { mean, std, standardise } = columnStats(nums, n);
    if (!(std > 0)) return `constant (every value is "${first()}")`;
    if (m < n) notes.push(`${col}: ${plural(n - m, 'missing value')} filled with the mean ${round(mean)}`);
    return {
      names: [col],
      write: (r, out, at) => {
        const z = missing[r] ? 0 : standardise(nums[r]!);
        if (!Number.isFinite(z)) throw nonFinite(`column ${col}`, values[r]!, line(r)); // a guard: the scaling keeps z finite
        out[at] = z;
      },
    };
  }

  if (distinct === m && m > 1) return `every value is different (${distinct} values: a name or an id)`;
  const limit = Math.max(50, n / 2);
  if (distinct > limit) return `too many distinct values (${distinct}, more than ${Math.floor(limit)}) to one-hot`;
  if (distinct > 50 && distinct > m / 2) return `mostly unique values (${distinct} distinct in ${m} non-missing rows)`;
  if (nums.some((v) => !Number.isNaN(v))) {
    notes.push(`${col}: has text (first "${values[firstText]}" on line ${line(firstText)}), so it is treated as categorical`);
  }
  const cats = [...a.seen.keys()].sort(lexical);
  if (m < n) cats.push('(missing)');
  const idx = new Map(cats.map((c, i) => [c, i]));
  const codes = Int32Array.from(values.keys(), (i) => idx.get(missing[i] ? '(missing)' : values[i]!)!);
  return {
    names: cats.map((c) => `${col}=${c}`),
    write: (r, out, at) => { out.fill(0, at, at + cats.length); out[at + codes[r]!] = 1; },
  };
}

/**
 * Same one-to-one pattern, and enough repetition for that to mean something: two columns of
 * all-distinct values (two continuous measurements) always have codes 0, 1, 2, ..., and a binary
 * column can match another on a handful of rows by chance.
 */
export function sameCodes(a: Analysis, b: Analysis): boolean {
  if (!canRepeat(a)) return false;
  return codesEqual(a, b);
}

/** Whether a column's codes are repetitive enough for sameCodes to call it anyone's twin. */
const canRepeat = (a: Analysis): boolean => a.codes.length >= 20 && a.numCodes * 2 <= a.codes.length;

/**
 * A hash of the codes (FNV-1a) for columns sameCodes can match, else null: kept columns are
 * looked up by it, so finding duplicates costs one pass per column instead of comparing every
 * pair (32,768 columns made a billion comparisons).
 */
export function codesKey(a: Analysis): number | null {
  if (!canRepeat(a)) return null;
  let h = 0x811c9dc5 ^ a.numCodes;
  for (let i = 0; i < a.codes.length; i++) h = Math.imul(h ^ a.codes[i]!, 0x01000193);
  return h >>> 0;
}

function codesEqual(a: Analysis, b: Analysis): boolean {
  const n = a.codes.length;
  if (a.numCodes !== b.numCodes || b.codes.length !== n) return false;
  for (let i = 0; i < n; i++) if (a.codes[i] !== b.codes[i]) return false;
  return true;
}

export const round = (v: number): string => String(Math.round(v * 1000) / 1000);
export const plural = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;
