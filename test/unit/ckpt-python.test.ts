// Two independent readers, both written from docs/ckpt-format.md and neither using
// src/ckpt/format.ts's decoder, check what encodeCkpt writes:
//   1. test/unit/read_ckpt.py: Python with struct/json/numpy/hashlib (what a user in Python has);
//   2. readBySpec below: DataView + JSON.parse + node:crypto.
// Both verify the layout rules and recompute the integrity hash from the documented canonical form.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCkpt } from '../../src/ckpt/format';
import type { CkptContents, CkptTensor } from '../../src/ckpt/types';

const SCRIPT = fileURLToPath(new URL('./read_ckpt.py', import.meta.url));
// Debian's python3 (with python3-numpy, installed by .ci/run) unless PYTHON names another.
const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const INSTALL_HINT = 'python3 with numpy is required by this test (not optional): install python3-numpy, e.g. `apt-get install python3-numpy` or `pip install numpy`';

interface TensorSummary {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
  sum: number | string;
  first: (number | string)[];
  hex: string;
}
interface Summary {
  metadata_keys: string[];
  format: string;
  version: string;
  state: unknown;
  integrity_ok: boolean;
  header_bytes: number;
  tensors: Record<string, TensorSummary>;
}

const dir = mkdtempSync(join(tmpdir(), 'tabtrain-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runPython(file: string): Summary {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`${INSTALL_HINT} (${probe.error?.message ?? probe.stderr.trim()})`);
  }
  const r = spawnSync(PYTHON, [SCRIPT, file], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`read_ckpt.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Summary;
}

/** JS twin of read_ckpt.py's finite_or_str: Python's repr for non-finite floats. */
function pyFloat(x: number): number | string {
  return Number.isFinite(x) ? x : Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
}

/** Reads a .ckpt from the spec alone and summarises it like read_ckpt.py does. */
function readBySpec(bytes: Uint8Array): Summary {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  expect(n).toBeLessThanOrEqual(bytes.length - 8);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  expect(text).toMatch(/^\{[^]*\} *$/);
  const header = JSON.parse(text) as Record<string, unknown>;
  const meta = header.__metadata__ as Record<string, string>;
  const buf = bytes.subarray(8 + n);
  const tensors: Record<string, TensorSummary> = {};
  const canonicalTensors: unknown[] = [];
  let expected = 0;
  for (const name of Object.keys(header)) {
    if (name === '__metadata__') continue;
    expect(name).toMatch(/^(model|optim)\.[A-Za-z0-9_.]+$/);
    const e = header[name] as { dtype: 'F32' | 'I32'; shape: number[]; data_offsets: [number, number] };
    expect(Object.keys(e).sort()).toEqual(['data_offsets', 'dtype', 'shape']);
    const [begin, end] = e.data_offsets;
    expect(begin).toBe(expected);
    const count = e.shape.reduce((a, b) => a * b, 1);
    expect(end - begin).toBe(count * 4);
    const values: number[] = [];
    const dv = new DataView(buf.buffer, buf.byteOffset + begin, end - begin);
    for (let i = 0; i < count; i++) values.push(e.dtype === 'F32' ? dv.getFloat32(i * 4, true) : dv.getInt32(i * 4, true));
    tensors[name] = {
      dtype: e.dtype,
      shape: e.shape,
      data_offsets: [begin, end],
      sum: pyFloat(values.reduce((a, b) => a + b, 0)),
      first: values.slice(0, 4).map((v) => (e.dtype === 'F32' ? pyFloat(v) : v)),
      hex: Buffer.from(buf.subarray(begin, end)).toString('hex'),
    };
    canonicalTensors.push([name, e.dtype, e.shape, [begin, end]]);
    expected = end;
  }
  expect(expected).toBe(buf.length);
  const canonical = JSON.stringify({ format: meta.format, version: meta.version, state: meta.state, tensors: canonicalTensors });
  const digest = createHash('sha256').update(canonical, 'utf8').update(buf).digest('hex');
  return {
    metadata_keys: Object.keys(meta),
    format: meta.format!,
    version: meta.version!,
    state: JSON.parse(meta.state!),
    integrity_ok: meta.integrity === `sha256:${digest}`,
    header_bytes: n,
    tensors,
  };
}

/** Asserts a summary (from either reader) describes exactly `c`. */
function expectMatches(s: Summary, c: CkptContents): void {
  expect(s.format).toBe('tabtrain.ckpt');
  expect(s.version).toBe('1');
  expect(s.metadata_keys).toEqual(['format', 'version', 'state', 'integrity']);
  expect(s.integrity_ok, 'integrity hash recomputed from the documented canonical form').toBe(true);
  expect((8 + s.header_bytes) % 8).toBe(0);
  expect(s.state).toEqual(c.state);
  expect(Object.keys(s.tensors)).toEqual(c.tensors.map((t) => t.name));
  for (const t of c.tensors) {
    const got = s.tensors[t.name]!;
    const values = Array.from(t.data as ArrayLike<number>);
    expect(got.dtype).toBe(t.dtype);
    expect(got.shape).toEqual(t.shape);
    expect(got.hex).toBe(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex'));
    expect(got.first).toEqual(values.slice(0, 4).map((v) => (t.dtype === 'F32' ? pyFloat(v) : v)));
    const sum = values.reduce((a, b) => a + b, 0);
    if (typeof got.sum === 'string' || !Number.isFinite(sum)) expect(got.sum).toBe(pyFloat(sum));
    // numpy sums pairwise, JS in order: equal up to rounding.
    else expect(Math.abs(got.sum - sum)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(sum)));
  }
}

function contents(): CkptContents {
  const tensors: CkptTensor[] = [];
  for (let i = 0; i < 12; i++) {
    const shape = i % 4 === 0 ? [] : [1 + (i % 3), 2 + (i % 5)];
    const n = shape.reduce((a, b) => a * b, 1);
    const name = `${i % 3 === 2 ? 'optim' : 'model'}.block_${i}.${i % 2 ? 'bias' : 'kernel'}`;
    tensors.push(i % 5 === 4
      ? { name, dtype: 'I32', shape, data: Int32Array.from({ length: n }, (_, k) => (k * 7919 - 50000) * (i + 1)) }
      : { name, dtype: 'F32', shape, data: Float32Array.from({ length: n }, (_, k) => Math.sin(k + i) * 10 ** (i % 4)) });
  }
  const special = new Float32Array([NaN, -0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38]);
  new Uint32Array(special.buffer)[0] = 0x7fc00abc; // a NaN with a payload
  tensors.push({ name: 'model.special', dtype: 'F32', shape: [2, 3], data: special });
  tensors.push({ name: 'optim.empty_last', dtype: 'F32', shape: [4, 0], data: new Float32Array(0) });
  // Unicode, quotes, backslashes and control characters exercise the canonical-JSON escaping
  // that Python's json.dumps(ensure_ascii=False) must reproduce byte for byte.
  const state = { step: 41, note: 'é ✓ 😀 "q" \\ \n\t\u0001\u001f \u2028 \u007f', lr: [0.001, 1e-7], nested: { ok: true, none: null } };
  return { state, tensors };
}

describe('independent readers', () => {
  it('python3 and numpy are available', () => {
    const probe = spawnSync(PYTHON, ['-c', 'import numpy, sys; print(numpy.__version__)'], { encoding: 'utf8' });
    expect(probe.error === undefined && probe.status === 0, INSTALL_HINT).toBe(true);
  });

  it('Python (struct/json/numpy) reads what encodeCkpt writes, integrity included', async () => {
    const c = contents();
    const file = join(dir, 'mixed.ckpt');
    writeFileSync(file, await encodeCkpt(c));
    expectMatches(runPython(file), c);
  });

  it('Python reads a state-only file and a single scalar file', async () => {
    for (const [id, c] of [
      ['state-only', { state: { step: 0 }, tensors: [] }],
      ['scalar', { state: {}, tensors: [{ name: 'model.s', dtype: 'I32', shape: [], data: new Int32Array([-7]) }] }],
    ] as [string, CkptContents][]) {
      const file = join(dir, `${id}.ckpt`);
      writeFileSync(file, await encodeCkpt(c));
      expectMatches(runPython(file), c);
    }
  });

  it('a TypeScript reader written from the spec reads it too', async () => {
    const c = contents();
    expectMatches(readBySpec(await encodeCkpt(c)), c);
    const empty: CkptContents = { state: { step: 0 }, tensors: [] };
    expectMatches(readBySpec(await encodeCkpt(empty)), empty);
  });

  it('the TypeScript and Python readers agree byte for byte', async () => {
    const bytes = await encodeCkpt(contents());
    const ts = readBySpec(bytes);
    const file = join(dir, 'agree.ckpt');
    writeFileSync(file, bytes);
    const py = runPython(file);
    expect(Object.keys(py.tensors)).toEqual(Object.keys(ts.tensors));
    for (const name of Object.keys(ts.tensors)) {
      expect(py.tensors[name]!.hex).toBe(ts.tensors[name]!.hex);
      expect(py.tensors[name]!.data_offsets).toEqual(ts.tensors[name]!.data_offsets);
    }
  });
});
