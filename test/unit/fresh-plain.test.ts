// `tabtrain fresh WEIGHTS.safetensors`: a plain safetensors file (no tabtrain metadata), its
// tensors named model.<path>, starts a new run (docs/cli.md "fresh from plain weights"). The
// files come from PyTorch (a state dict of python/tabtrain's models, saved with safetensors) and
// from a small writer here; the strict .ckpt decoder still refuses them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { decodePlainSafetensors } from '../../src/ckpt/plain';
import { DATASETS, tabtrain, tempDir, writeText } from '../support/cli';

const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const IRIS = join(DATASETS, 'iris.csv');

/** A plain safetensors file: tensors (float32) in the given order, optional __metadata__. */
function writePlain(path: string, tensors: Record<string, { shape: number[]; data?: number[] }>, metadata?: Record<string, string>, dtype = 'F32') {
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const f = Float32Array.from(t.data ?? Array.from({ length: n }, (_, i) => ((i % 7) - 3) / 10));
    const bytes = dtype === 'F32' ? new Uint8Array(f.buffer) : new Uint8Array(Float64Array.from(f).buffer);
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + bytes.length] };
    chunks.push(bytes);
    off += bytes.length;
  }
  if (metadata) header.__metadata__ = metadata;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  writeFileSync(path, out);
  return out;
}

const mlp = (hidden: number[], inputs = 4, outputs = 3) => {
  const t: Record<string, { shape: number[] }> = {};
  let w = inputs;
  hidden.forEach((h, i) => {
    t[`model.layers.${i}.kernel`] = { shape: [w, h] };
    t[`model.layers.${i}.bias`] = { shape: [h] };
    w = h;
  });
  t['model.head.kernel'] = { shape: [w, outputs] };
  t['model.head.bias'] = { shape: [outputs] };
  return t;
};

function stateOf(path: string) {
  const b = readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  return JSON.parse(JSON.parse(b.subarray(8, 8 + n).toString()).__metadata__.state);
}

describe('fresh from a plain safetensors file', () => {
  it('starts a run from a state dict PyTorch saved (python/tabtrain models), sizes inferred and said', () => {
    const dir = tempDir();
    const plain = join(dir, 'torch.safetensors');
    // The weights of a torch Module built by the Python package, saved by safetensors.torch.
    const py = `
import sys, torch
sys.path.insert(0, "python")
from safetensors.torch import save_file
from tabtrain.models import TabtrainModel, param_defs, init_values
spec = {"family": "mlp", "inputSize": 4, "hidden": [12, 8], "outputSize": 3, "dropout": 0}
m = TabtrainModel(spec, {n: init_values(n, s, i, 7) for n, s, i, _ in param_defs(spec)})
save_file({"model." + n: m.tensor(n).detach().contiguous() for n in m.param_names}, sys.argv[1])
`;
    const r = spawnSync(PYTHON, ['-c', py, plain], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // The strict .ckpt decoder still refuses it.
    return expect(decodeCkpt(new Uint8Array(readFileSync(plain)))).rejects.toMatchObject({ code: 'wrong_format' }).then(() => {
      const out = join(dir, 'new.ckpt');
      const t = tabtrain(['fresh', plain, '--data', IRIS, '--out', out, '--steps', '3', '--quiet']);
      expect(t.code, t.stderr).toBe(0);
      expect(t.stderr).toContain('model mlp (inferred from the tensor names), --hidden 12,8 (inferred from the shapes)');
      expect(t.stderr).toContain('fresh from weights: loaded 6 tensors, partly loaded 0, re-initialised 0');
      const s = stateOf(out);
      expect(s.config.model).toMatchObject({ family: 'mlp', hidden: [12, 8] });
      expect(s.step).toBe(3);
      expect(s.lineage.origin).toBe('fresh');
      expect(s.lineage.parent).toBeUndefined();
      expect(tabtrain(['inspect', out]).stdout).toContain('fresh from plain weights (no parent run)');
    });
  }, 60_000);

  it('loads the tensors that fit and initialises the rest; options win over the shapes', () => {
    const dir = tempDir();
    const plain = join(dir, 'w.safetensors');
    writePlain(plain, mlp([8, 8]));
    const t = tabtrain(['fresh', plain, '--data', IRIS, '--out', join(dir, 'n.ckpt'), '--steps', '1', '--hidden', '8,16', '--quiet']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain('--hidden 8,16 (given)');
    expect(t.stderr).toContain('re-initialised model.layers.1.kernel: shape differs: checkpoint has [8,8], model expects [8,16]');
    expect(t.stderr).toContain('loaded model.layers.0.kernel');
  }, 60_000);

  it('refuses a kernel that fits only transposed, with the reason, and writes nothing', () => {
    const dir = tempDir();
    const plain = join(dir, 'w.safetensors');
    const w = mlp([8]);
    w['model.layers.0.kernel'] = { shape: [8, 4] }; // PyTorch's Linear.weight: [out, in]
    writePlain(plain, w);
    const out = join(dir, 'n.ckpt');
    const t = tabtrain(['fresh', plain, '--data', IRIS, '--out', out, '--steps', '1']);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain("model.layers.0.kernel has shape [8,4], expected [4,8]: a PyTorch Linear.weight is [out, in], tabtrain's kernels are [in, out]; transpose it");
    expect(t.stderr.trim().split('\n').filter((l) => l.startsWith('tabtrain:'))).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it("refuses a square kernel when the file says it is in PyTorch's layout", () => {
    const dir = tempDir();
    const plain = join(dir, 'w.safetensors');
    writePlain(plain, mlp([4]), { layout: 'torch', format: 'pt' });
    const t = tabtrain(['fresh', plain, '--data', IRIS, '--out', join(dir, 'n.ckpt'), '--steps', '1']);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/refused, not loaded: model\.layers\.0\.kernel, model\.head\.kernel: the file says its kernels are in PyTorch's layout \(__metadata__ layout=torch\)/);
    // Without the note a square kernel cannot be told apart: loaded, and said so.
    writePlain(plain, mlp([4]));
    const ok = tabtrain(['fresh', plain, '--data', IRIS, '--out', join(dir, 'm.ckpt'), '--steps', '1', '--quiet']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('note: square kernels loaded as [in, out], their layout cannot be told from the shape: model.layers.0.kernel');
    // ...and a file that says it is in tabtrain's layout needs no note.
    writePlain(plain, mlp([4]), { layout: 'tabtrain' });
    const said = tabtrain(['fresh', plain, '--data', IRIS, '--out', join(dir, 'k.ckpt'), '--steps', '1', '--quiet']);
    expect(said.code, said.stderr).toBe(0);
    expect(said.stderr).not.toContain('note: square kernels');
  }, 60_000);

  it('refuses unknown tensor names, naming them', () => {
    const dir = tempDir();
    const plain = join(dir, 'w.safetensors');
    writePlain(plain, { 'fc1.weight': { shape: [8, 4] }, 'fc1.bias': { shape: [8] } });
    const t = tabtrain(['fresh', plain, '--data', IRIS, '--out', join(dir, 'n.ckpt')]);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain('unknown tensor names "fc1.weight", "fc1.bias"');
    // model.<path> names the chosen model has no place for are refused too, not dropped
    writePlain(plain, { ...mlp([8]), 'model.extra.scale': { shape: [3] } });
    const u = tabtrain(['fresh', plain, '--data', IRIS, '--out', join(dir, 'n.ckpt')]);
    expect(u.code).toBe(1);
    expect(u.stderr).toContain('tensors the mlp model has no place for: model.extra.scale');
    // a file that is not safetensors at all is still named as not a checkpoint
    const csv = tabtrain(['fresh', IRIS, '--data', IRIS, '--out', join(dir, 'n.ckpt')]);
    expect(csv.code).toBe(1);
    expect(csv.stderr).toContain(`${IRIS} is not a tabtrain checkpoint (.ckpt)`);
  }, 60_000);

  it('infers a charlm from its names and shapes; the heads, which no shape tells, are said to be the default', () => {
    const dir = tempDir();
    const text = writeText(dir);
    const d = 16;
    const w: Record<string, { shape: number[] }> = { 'model.pos_emb': { shape: [8, d] }, 'model.ln_f.gamma': { shape: [d] } };
    for (const s of ['gamma', 'beta']) w[`model.blocks.0.ln1.${s}`] = { shape: [d] };
    w['model.blocks.0.attn.qkv.kernel'] = { shape: [d, 3 * d] };
    const plain = join(dir, 'lm.safetensors');
    writePlain(plain, w, undefined, 'F64');
    const t = tabtrain(['fresh', plain, '--data', text, '--out', join(dir, 'n.ckpt'), '--steps', '1', '--batch-size', '4', '--quiet']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain('model charlm (inferred from the tensor names), --context-length 8 (inferred from the shapes), --d-model 16 (inferred from the shapes), --heads 2 (the default: the shapes do not tell), --layers 1 (inferred from the shapes)');
    expect(t.stderr).toContain('loaded 5 tensors');
  }, 60_000);

  it("infers a resnet's channels per stage and blocks, buffers included, and loads every tensor", async () => {
    const { writeImageFolder } = await import('../support/cli');
    const { modelTensors } = await import('../../src/engine/models');
    const dir = tempDir();
    const root = writeImageFolder(join(dir, 'imgs'), 4, 8);
    const spec = { family: 'resnet' as const, height: 8, width: 8, channels: 3, filters: [4, 8], blocks: 2, outputSize: 2, dropout: 0 };
    const all = modelTensors(spec);
    const plain = join(dir, 'r.safetensors');
    writePlain(plain, Object.fromEntries(all.map((t) => [t.name, { shape: t.shape }])));
    const t = tabtrain(['fresh', plain, '--data', root, '--out', join(dir, 'n.ckpt'), '--image-size', '8', '--steps', '1', '--batch-size', '4', '--quiet']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain('model resnet (inferred from the tensor names), --filters 4,8 (inferred from the shapes), --blocks 2 (inferred from the shapes)');
    expect(t.stderr).toContain(`loaded ${all.length} tensors, partly loaded 0, re-initialised 0`);
  }, 60_000);

  it('refuses a conv kernel in PyTorch Conv2d layout with the permutation to use', () => {
    const dir = tempDir();
    const imgs = join(dir, 'imgs');
    // the same helper the CLI tests use: 8x8 RGB, two classes
    return import('../support/cli').then(({ writeImageFolder }) => {
      const root = writeImageFolder(imgs, 4, 8);
      const plain = join(dir, 'c.safetensors');
      writePlain(plain, { 'model.conv.0.kernel': { shape: [8, 3, 3, 3] }, 'model.conv.0.bias': { shape: [8] } });
      const t = tabtrain(['fresh', plain, '--data', root, '--out', join(dir, 'n.ckpt'), '--image-size', '8', '--filters', '8']);
      expect(t.code).toBe(1);
      expect(t.stderr).toContain('model.conv.0.kernel has shape [8,3,3,3], expected [3,3,3,8]: a PyTorch Conv2d.weight is [out, in, kh, kw]');
    });
  }, 60_000);
});

describe('the plain safetensors reader is strict', () => {
  const file = (tensors: Record<string, { shape: number[] }>, dtype?: string) => writePlain(join(tempDir(), 'x.safetensors'), tensors, undefined, dtype);

  it('reads F32 and F64 (as float32) and leaves nothing aliased to the file', () => {
    const w = decodePlainSafetensors(file({ 'model.a': { shape: [2] } }, 'F64'));
    expect(Array.from(w.tensors[0]!.data)).toEqual([Math.fround(-0.3), Math.fround(-0.2)]);
    expect(w.metadata).toEqual({});
  });

  it('reads F16 and BF16 (as float32), whatever the order of the header entries', () => {
    const json = new TextEncoder().encode(JSON.stringify({ 'model.b': { dtype: 'BF16', shape: [2], data_offsets: [4, 8] }, 'model.a': { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }));
    const out = new Uint8Array(8 + json.length + 8);
    const dv = new DataView(out.buffer);
    dv.setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    const at = 8 + json.length;
    [0x3c00, 0xc100, 0x3fc0, 0xc040].forEach((h, i) => dv.setUint16(at + 2 * i, h, true)); // f16 1, -2.5; bf16 1.5, -3
    const w = decodePlainSafetensors(out);
    expect(w.tensors.map((t) => [t.name, Array.from(t.data)])).toEqual([
      ['model.b', [1.5, -3]],
      ['model.a', [1, -2.5]],
    ]);
  });

  it('refuses trailing bytes, a gap, integer tensors and non-string metadata', () => {
    const good = file({ 'model.a': { shape: [2] } });
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expect(() => decodePlainSafetensors(longer)).toThrow(/4 trailing bytes/);
    const hdr = (h: unknown, data = 8) => {
      const json = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + json.length + data);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    expect(() => decodePlainSafetensors(hdr({ 'model.a': { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }))).toThrow(/gap in the data buffer/);
    expect(() => decodePlainSafetensors(hdr({ 'model.a': { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }))).toThrow(/is not a float/);
    expect(() => decodePlainSafetensors(hdr({ __metadata__: { layout: 1 }, 'model.a': { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }))).toThrow(/metadata value 'layout' is not a string/);
    expect(() => decodePlainSafetensors(hdr({ 'model.a': { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }))).toThrow(/needs 12 bytes/);
    expect(() => decodePlainSafetensors(hdr({ 'model.a': { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, 'model.b': { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }))).toThrow(/overlaps/);
  });
});
