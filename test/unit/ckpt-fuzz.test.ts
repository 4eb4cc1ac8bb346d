// Mutation fuzzing of the decoder. From a few valid files, thousands of seeded mutants: every
// truncation, bit flips, header byte overwrites, header-length edits and structured header JSON
// edits. The property: each mutant either throws CkptError (never a TypeError/RangeError/...) or
// decodes to contents byte-identical to the original. Structural edits are also re-hashed, so the
// structural checks (not just the integrity hash) must catch them.

import { describe, expect, it } from 'vitest';
import { CkptError, type CkptErrorCode } from '../../src/ckpt/errors';
import { decodeCkpt, encodeCkpt } from '../../src/ckpt/format';
import type { CkptContents } from '../../src/ckpt/types';
import { craft, diffContents, type Header, mediumContents, smallContents, splitCkpt, xorshift } from './ckpt-testutil';

/** A hang (an unresolved promise) becomes a failure after this long; slow cases are flagged too. */
const CASE_TIMEOUT_MS = 5_000;
const CASE_SLOW_MS = 1_000;

interface Stats {
  cases: number;
  identical: number;
  codes: Map<CkptErrorCode, number>;
  failures: string[];
  slowest: { ms: number; label: string };
}

function withTimeout<T>(p: Promise<T>, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${label} did not settle in ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

/** Decodes one mutant and records whether it kept the property. */
async function check(s: Stats, original: CkptContents, bytes: Uint8Array, label: string, mustFailStructurally = false): Promise<void> {
  s.cases++;
  const t0 = performance.now();
  try {
    const got = await withTimeout(decodeCkpt(bytes), label);
    const diff = diffContents(original, got);
    if (diff !== null) s.failures.push(`${label}: decoded to different contents (${diff})`);
    else if (mustFailStructurally) s.failures.push(`${label}: structurally broken file was accepted`);
    else s.identical++;
  } catch (e) {
    if (!(e instanceof CkptError)) {
      s.failures.push(`${label}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    } else {
      s.codes.set(e.code, (s.codes.get(e.code) ?? 0) + 1);
      if (mustFailStructurally && e.code === 'integrity') s.failures.push(`${label}: only the hash caught it`);
      if (e.message.includes('\n') || e.message.length > 300) s.failures.push(`${label}: message not one short line`);
    }
  }
  const ms = performance.now() - t0;
  if (ms > s.slowest.ms) s.slowest = { ms, label };
}

interface Sample {
  id: string;
  contents: CkptContents;
  bytes: Uint8Array;
  header: Header;
  data: Uint8Array;
  headerBytes: number; // N
}

async function sample(id: string, contents: CkptContents): Promise<Sample> {
  const bytes = await encodeCkpt(contents);
  const { header, data } = splitCkpt(bytes);
  return { id, contents, bytes, header, data, headerBytes: bytes.length - 8 - data.length };
}

/** A structural JSON edit of a header: returns a label, or null if it does not apply. */
type Edit = (h: Header) => string | null;
const clone = (h: Header): Header => JSON.parse(JSON.stringify(h)) as Header;

/** Renames a key in place, keeping key order (the order is the layout). */
function renameKey(h: Header, from: string, to: string): Header {
  const out: Header = {};
  for (const k of Object.keys(h)) Object.defineProperty(out, k === from ? to : k, { value: h[k], enumerable: true, writable: true });
  return out;
}

function tensorEdits(name: string): Edit[] {
  const e = (h: Header) => h[name] as { dtype: unknown; shape: unknown; data_offsets: unknown } & Record<string, unknown>;
  const shapeEdit = (f: (s: number[]) => unknown, what: string): Edit => (h) => {
    const s = e(h).shape as number[];
    const next = f([...s]);
    if (next === null) return null;
    e(h).shape = next;
    return `shape ${what}`;
  };
  const offEdit = (f: (b: number, end: number) => unknown, what: string): Edit => (h) => {
    const [b, end] = e(h).data_offsets as [number, number];
    e(h).data_offsets = f(b, end);
    return `offsets ${what}`;
  };
  return [
    ...['F16', 'BF16', 'F64', 'f32', '', 'I64', 5, null, ['F32']].map((d): Edit => (h) => ((e(h).dtype = d), `dtype ${String(d)}`)),
    (h) => (e(h).dtype === 'F32' ? ((e(h).dtype = 'I32'), 'dtype F32->I32') : ((e(h).dtype = 'F32'), 'dtype I32->F32')),
    shapeEdit((s) => (s.length ? ((s[0]! += 1), s) : null), 'dim0+1'),
    shapeEdit((s) => (s.length ? ((s[s.length - 1]! *= 2), s) : null), 'last*2'),
    shapeEdit((s) => (s.length ? ((s[0] = -1), s) : null), 'dim0=-1'),
    shapeEdit((s) => (s.length ? ((s[0] = 1.5), s) : null), 'dim0=1.5'),
    shapeEdit((s) => (s.length ? ((s[0] = 2 ** 53), s) : null), 'dim0=2^53'),
    shapeEdit((s) => (s.length ? s.map(String) : null), 'strings'),
    shapeEdit((s) => [...s, 2], 'append 2'),
    shapeEdit((s) => [0, ...s], 'prepend 0'),
    shapeEdit((s) => (s.length ? s.slice(1) : null), 'drop dim0'),
    shapeEdit(() => null, 'noop'),
    shapeEdit(() => 'x', 'not array'),
    offEdit((b, end) => [b + 1, end], 'begin+1'),
    offEdit((b, end) => [b, end + 1], 'end+1'),
    offEdit((b, end) => [b - 1, end - 1], 'both-1'),
    offEdit((b, end) => [b + 4, end + 4], 'both+4'),
    offEdit((b, end) => [end, b], 'swapped'),
    offEdit((_b, end) => [end], 'one element'),
    offEdit((b, end) => [b, end, end], 'three elements'),
    offEdit((b, end) => [String(b), end], 'string'),
    offEdit((_b, end) => [-4, end], 'negative'),
    offEdit((b) => [b, 2 ** 53], 'huge'),
    offEdit((b, end) => [b + 0.5, end], 'fraction'),
    (h) => (delete e(h).dtype, 'drop dtype'),
    (h) => (delete e(h).shape, 'drop shape'),
    (h) => (delete e(h).data_offsets, 'drop data_offsets'),
    (h) => ((e(h).extra = 1), 'extra key'),
    (h) => ((h[name] = 'x'), 'entry not object'),
  ];
}

/** Edits that rename or remove whole keys need to rebuild the object; they return a new header. */
function keyEdits(name: string): ((h: Header) => [Header, string])[] {
  const at = name.indexOf('.', 6);
  return [
    (h) => [renameKey(h, name, `${name}<script>alert(1)</script>`), 'name + <script>'],
    (h) => [renameKey(h, name, `model.<img src=x onerror=alert(1)>`), 'name is HTML'],
    (h) => [renameKey(h, name, name.replace(/^(model|optim)/, 'weights')), 'foreign prefix'],
    (h) => [renameKey(h, name, `${name}_renamed`), 'renamed (valid name)'],
    (h) => [renameKey(h, name, at > 0 ? name.slice(0, at) + ' ' + name.slice(at) : `${name} `), 'space in name'],
    (h) => [renameKey(h, name, '__proto__'), '__proto__ name'],
    (h) => {
      const out = clone(h);
      delete out[name];
      return [out, 'drop tensor'];
    },
  ];
}

const metaEdits: Edit[] = [
  ...['format', 'version', 'state', 'integrity'].map((k): Edit => (h) => (delete (h.__metadata__ as Header)[k], `drop meta ${k}`)),
  (h) => (((h.__metadata__ as Header).extra = 'x'), 'meta extra key'),
  (h) => (((h.__metadata__ as Header).format = 'tabtrain.ckpt2'), 'meta format'),
  (h) => (((h.__metadata__ as Header).version = '2'), 'meta version 2'),
  (h) => (((h.__metadata__ as Header).version = 1), 'meta version number'),
  (h) => (((h.__metadata__ as Header).state = '{"step":13}'), 'meta state changed'),
  (h) => (((h.__metadata__ as Header).state = '{bad'), 'meta state invalid JSON'),
  (h) => (((h.__metadata__ as Header).state = '[]'), 'meta state array'),
  (h) => (((h.__metadata__ as Header).integrity = String((h.__metadata__ as Header).integrity).toUpperCase()), 'meta integrity upper'),
  (h) => {
    const m = h.__metadata__ as Header;
    const s = String(m.integrity);
    m.integrity = s.slice(0, -1) + (s.endsWith('0') ? '1' : '0');
    return 'meta integrity one digit';
  },
  (h) => (delete h.__metadata__, 'drop __metadata__'),
  (h) => ((h.__metadata__ = []), '__metadata__ array'),
];

/** Whether a header, as edited, still has a well-formed metadata block to re-hash. */
function canRehash(h: Header): boolean {
  const m = h.__metadata__;
  return typeof m === 'object' && m !== null && !Array.isArray(m) && ['format', 'version', 'state', 'integrity'].every((k) => k in m);
}

describe('decoder fuzzing', () => {
  it('every mutant throws CkptError or decodes byte-identically', async () => {
    const s: Stats = { cases: 0, identical: 0, codes: new Map(), failures: [], slowest: { ms: 0, label: '' } };
    const samples = [
      await sample('small', smallContents()),
      await sample('medium', mediumContents(7, 20)),
      await sample('state-only', { state: { step: 0 }, tensors: [] }),
    ];
    const rnd = xorshift(0x9e3779b9);
    const t0 = performance.now();

    for (const smp of samples) {
      const { id, bytes, contents } = smp;
      await check(s, contents, bytes, `${id} unmodified`);

      // 1. Truncations: every length of the small files, a stride through the medium one.
      const stride = bytes.length > 1000 ? 7 : 1;
      for (let len = 0; len < bytes.length; len += stride) await check(s, contents, bytes.slice(0, len), `${id} truncated to ${len}`);

      // 2. Random 1-3 bit flips anywhere.
      for (let k = 0; k < 600; k++) {
        const m = bytes.slice();
        const flips = 1 + (rnd() % 3);
        const where: number[] = [];
        for (let f = 0; f < flips; f++) {
          const bit = rnd() % (m.length * 8);
          m[bit >> 3]! ^= 1 << (bit & 7);
          where.push(bit);
        }
        await check(s, contents, m, `${id} bit flips ${where.join(',')}`);
      }

      // 3. Random byte overwrites in the header region (JSON punctuation is the interesting part).
      const alphabet = Buffer.from('{}[]",:0123456789-. eE\\ntfu<>');
      for (let k = 0; k < 300; k++) {
        const m = bytes.slice();
        const count = 1 + (rnd() % 3);
        const where: string[] = [];
        for (let f = 0; f < count; f++) {
          const at = 8 + (rnd() % smp.headerBytes);
          m[at] = rnd() % 2 ? alphabet[rnd() % alphabet.length]! : rnd() & 0xff;
          where.push(`${at}=${m[at]}`);
        }
        await check(s, contents, m, `${id} header bytes ${where.join(',')}`);
      }

      // 4. Header length field edits.
      const n = BigInt(smp.headerBytes);
      const size = BigInt(bytes.length);
      const lengths = [0n, 1n, 7n, 8n, n - 8n, n - 1n, n + 1n, n + 8n, size - 8n, size - 7n, size, 2n ** 31n, 2n ** 32n, 2n ** 32n + n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
      for (let k = 0; k < 40; k++) lengths.push((BigInt(rnd()) << 32n) | BigInt(rnd()), BigInt(rnd() % (bytes.length + 16)));
      for (const len of lengths) {
        const m = bytes.slice();
        new DataView(m.buffer).setBigUint64(0, len < 0n ? 0n : len, true);
        await check(s, contents, m, `${id} header length ${len}`);
      }

      // 5. Structured header JSON edits, re-serialised with a correct length. Those that break the
      //    structure are also re-hashed: the structural checks alone must reject them.
      const names = Object.keys(smp.header).filter((k) => k !== '__metadata__');
      const jobs: [Header, string][] = [];
      for (const name of names) {
        for (const edit of tensorEdits(name)) {
          const h = clone(smp.header);
          const label = edit(h);
          if (label !== null) jobs.push([h, `${name}: ${label}`]);
        }
        for (const edit of keyEdits(name)) {
          const [h, label] = edit(clone(smp.header));
          jobs.push([h, `${name}: ${label}`]);
        }
      }
      for (const edit of metaEdits) {
        const h = clone(smp.header);
        jobs.push([h, edit(h) ?? 'meta']);
      }
      for (const [h, label] of jobs) {
        await check(s, contents, craft(JSON.stringify(h), smp.data), `${id} ${label}`);
        if (!canRehash(h)) continue;
        const rehashed = clone(h);
        const m = craft(rehashed, smp.data, { fixIntegrity: true });
        // A re-hashed edit that keeps the file well-formed is a different valid file; only the
        // edits that leave it malformed must fail, and without relying on the hash.
        const expected = await decodeCkpt(m).then(() => 'valid', (e: unknown) => (e instanceof CkptError ? e.code : 'other'));
        if (expected === 'valid') continue;
        await check(s, contents, m, `${id} ${label} (re-hashed)`, true);
      }

      // 6. Harmless variations must decode identically: more space padding.
      const text = JSON.stringify(smp.header) + ' '.repeat(8 + (rnd() % 8));
      await check(s, contents, craft(text, smp.data), `${id} extra padding`);
    }

    const seconds = (performance.now() - t0) / 1000;
    const codes = Object.fromEntries([...s.codes].sort((a, b) => b[1] - a[1]));
    console.log(`ckpt fuzz: ${s.cases} cases in ${seconds.toFixed(1)} s, ${s.identical} decoded identically, slowest ${s.slowest.ms.toFixed(1)} ms (${s.slowest.label})`, codes);

    expect(s.failures.slice(0, 20)).toEqual([]);
    expect(s.cases).toBeGreaterThanOrEqual(3000);
    // The mutants reach deep into the decoder, not just its first check.
    expect(s.codes.size).toBeGreaterThanOrEqual(12);
    expect(s.slowest.ms, `slowest case: ${s.slowest.label}`).toBeLessThan(CASE_SLOW_MS);
  }, 60_000);
});
