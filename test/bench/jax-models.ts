// jax-js (npm @jax-js/jax) as a peer in the bench: workloads A and B written in jax-js with the
// same math as tabtrain's engine (docs/model-math.md) and test/bench/torch_peer.py:
// A: MLP 64-256-256-10, ReLU, softmax cross-entropy, batch 256 (4,096 synthetic rows).
// B: pre-LN causal character transformer, vocab 65, context 64, d 64, 2 layers, 4 heads, MLP 4d
//    with ReLU, learned positions, one-hot x matMul token embedding (as src/engine/models/charlm.ts),
//    batch 16 (64K synthetic characters).
// AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8, decoupled weight decay 0.01 on kernels only),
// gradient clipping at global norm 1, no dropout. The whole step (forward, backward, clipping,
// AdamW) is one function under `jit`. optax is not on npm, so clipping and AdamW are written out.
// The dataset lives on the device; each step uploads only the batch's row / character indices
// and gathers there (np.take inside the jitted step), as tabtrain's engine does.
//
// jax-js uses reference counting with move semantics: every function consumes its array
// arguments, so a value used twice is passed as `x.ref` the first time (the rules hold while
// tracing too: a tracer used after its last reference was moved throws).
import { defaultDevice, init, jit, nn, numpy as np, valueAndGrad, type Device } from '@jax-js/jax';
import { Rng } from '../../src/engine/rng';
import { initValues } from '../../src/engine/models/layers';
import type { ParamDef } from '../../src/engine/models/types';

export type JaxWorkload = 'A' | 'B';
type Arr = np.Array;
type Params = Record<string, Arr>;

const LR = 1e-3;
const B1 = 0.9;
const B2 = 0.999;
const EPS = 1e-8;
const WD = 0.01;
const CLIP = 1;

// Shapes, as tabtrain's families declare them (names too: decay = kernels only).
const V = 65;
const T = 64;
const D = 64;
const H = 4;
const L = 2;

function mlpDefs(): ParamDef[] {
  const dims = [64, 256, 256, 10];
  const defs: ParamDef[] = [];
  for (let i = 0; i < 3; i++) {
    defs.push({ name: `dense_${i}.kernel`, shape: [dims[i], dims[i + 1]], init: 'glorot', decay: true });
    defs.push({ name: `dense_${i}.bias`, shape: [dims[i + 1]], init: 'zeros', decay: false });
  }
  return defs;
}

function charlmDefs(): ParamDef[] {
  const dense = (name: string, i: number, o: number): ParamDef[] => [
    { name: `${name}.kernel`, shape: [i, o], init: 'glorot', decay: true },
    { name: `${name}.bias`, shape: [o], init: 'zeros', decay: false },
  ];
  const ln = (name: string): ParamDef[] => [
    { name: `${name}.gamma`, shape: [D], init: 'ones', decay: false },
    { name: `${name}.beta`, shape: [D], init: 'zeros', decay: false },
  ];
  const defs: ParamDef[] = [
    { name: 'tok_emb', shape: [V, D], init: 'embedding', decay: false },
    { name: 'pos_emb', shape: [T, D], init: 'embedding', decay: false },
  ];
  for (let i = 0; i < L; i++) {
    const b = `blocks.${i}`;
    defs.push(...ln(`${b}.ln1`), ...dense(`${b}.attn.qkv`, D, 3 * D), ...dense(`${b}.attn.proj`, D, D), ...ln(`${b}.ln2`), ...dense(`${b}.mlp.fc`, D, 4 * D), ...dense(`${b}.mlp.proj`, 4 * D, D));
  }
  defs.push(...ln('ln_f'), ...dense('head', D, V));
  return defs;
}

const denseOf = (p: Params, name: string, x: Arr): Arr => np.matmul(x, p[`${name}.kernel`]).add(p[`${name}.bias`]);

/** Mean softmax cross-entropy of logits [N, C] against integer labels [N]. */
function crossEntropy(logits: Arr, labels: Arr, classes: number): Arr {
  return nn.oneHot(labels, classes).mul(nn.logSoftmax(logits, -1)).sum(-1).mean().neg();
}

function mlpLoss(p: Params, x: Arr, y: Arr): Arr {
  let h = nn.relu(denseOf(p, 'dense_0', x));
  h = nn.relu(denseOf(p, 'dense_1', h));
  return crossEntropy(denseOf(p, 'dense_2', h), y, 10);
}

/** Layer norm over the last axis, eps 1e-5 (src/engine/models/layers.ts). */
function layerNorm(p: Params, name: string, x: Arr): Arr {
  const xc = x.ref.sub(x.mean(-1, { keepdims: true }));
  const variance = xc.ref.mul(xc.ref).mean(-1, { keepdims: true });
  return xc.div(np.sqrt(variance.add(1e-5))).mul(p[`${name}.gamma`]).add(p[`${name}.beta`]);
}

/** The forward pass of src/engine/models/charlm.ts, dropout 0; x, y: [B, T] int32. */
function charlmLoss(p: Params, x: Arr, y: Arr, mask: Arr): Arr {
  const Bn = x.shape[0];
  const dh = D / H;
  let h = np.matmul(nn.oneHot(x.reshape([Bn * T]), V), p['tok_emb']).reshape([Bn, T, D]).add(p['pos_emb']);
  for (let i = 0; i < L; i++) {
    const b = `blocks.${i}`;
    const a = layerNorm(p, `${b}.ln1`, h.ref).reshape([Bn * T, D]);
    const [q, k, v] = np.split(denseOf(p, `${b}.attn.qkv`, a), 3, -1).map((z) => z.reshape([Bn, T, H, dh]).transpose([0, 2, 1, 3]));
    const scores = np.matmul(q, k.transpose([0, 1, 3, 2])).mul(1 / Math.sqrt(dh)).add(mask.ref);
    const att = nn.softmax(scores, -1);
    const y2 = np.matmul(att, v).transpose([0, 2, 1, 3]).reshape([Bn * T, D]);
    h = h.add(denseOf(p, `${b}.attn.proj`, y2).reshape([Bn, T, D]));
    const m = layerNorm(p, `${b}.ln2`, h.ref).reshape([Bn * T, D]);
    const fc = nn.relu(denseOf(p, `${b}.mlp.fc`, m));
    h = h.add(denseOf(p, `${b}.mlp.proj`, fc).reshape([Bn, T, D]));
  }
  mask.dispose();
  const out = layerNorm(p, 'ln_f', h).reshape([Bn * T, D]);
  return crossEntropy(denseOf(p, 'head', out), y.reshape([Bn * T]), V);
}

export interface JaxTrainer {
  workload: JaxWorkload;
  device: Device;
  /** Runs k steps and reads the last loss back (so all their work is done); returns that loss. */
  run(k: number): Promise<number>;
  dispose(): void;
}

/** Starts jax-js on `device` ('wasm' in Node, 'webgpu' in the browser); false if it cannot. */
export async function jaxInit(device: Device): Promise<boolean> {
  const got = await init(device);
  if (!got.includes(device)) return false;
  defaultDevice(device);
  return true;
}

/**
 * A jax-js trainer for workload `w` on the default device (see jaxInit). The initial values
 * come from tabtrain's own initializer (same seed, same names), so both start from the same
 * point.
 */
export function jaxTrainer(w: JaxWorkload, seed = 3): JaxTrainer {
  const device = defaultDevice();
  const defs = w === 'A' ? mlpDefs() : charlmDefs();
  const names = defs.map((d) => d.name).sort();
  const decay = new Set(defs.filter((d) => d.decay).map((d) => d.name));
  let params: Params = {};
  let m: Params = {};
  let v: Params = {};
  for (const d of defs) {
    params[d.name] = np.array(initValues(d, seed) as Float32Array<ArrayBuffer>, { shape: d.shape });
    m[d.name] = np.zeros(d.shape);
    v[d.name] = np.zeros(d.shape);
  }

  // The dataset, on the device once.
  const rng = Rng.fromSeed(seed + 100);
  const rows = 4096;
  const chars = 65536;
  let data: Arr[];
  if (w === 'A') {
    const xs = Float32Array.from({ length: rows * 64 }, () => rng.nextNormal());
    const ys = Int32Array.from({ length: rows }, () => rng.nextInt(10));
    data = [np.array(xs, { shape: [rows, 64] }), np.array(ys, { dtype: np.int32 })];
  } else {
    const text = Int32Array.from({ length: chars }, () => rng.nextInt(V));
    const maskValues = new Float32Array(T * T);
    for (let r = 0; r < T; r++) for (let c = r + 1; c < T; c++) maskValues[r * T + c] = -1e9;
    data = [np.array(text, { dtype: np.int32 }), np.array(maskValues, { shape: [T, T] })];
  }

  const loss = w === 'A' ? (p: Params, x: Arr, y: Arr) => mlpLoss(p, x, y) : (p: Params, x: Arr, y: Arr, mask: Arr) => charlmLoss(p, x, y, mask);
  // One training step: gather the batch, loss and gradients, clip by global norm, AdamW.
  // hp = [lr, 1/(1-b1^t), 1/(1-b2^t)] as float32 scalars (computed in float64 on the host).
  const step = jit((p: Params, mm: Params, vv: Params, hp: Arr[], d0: Arr, d1: Arr, i0: Arr, i1: Arr) => {
    let x: Arr;
    let y: Arr;
    let extra: Arr[] = [];
    if (w === 'A') {
      x = np.take(d0, i0, 0);
      y = np.take(d1, i1, 0);
    } else {
      x = np.take(d0.ref, i0, 0).reshape([-1, T]);
      y = np.take(d0, i1, 0).reshape([-1, T]);
      extra = [d1];
    }
    // valueAndGrad consumes p; the update reads the old weights again, so keep references.
    const old: Params = {};
    for (const n of names) old[n] = p[n].ref;
    const [value, g] = valueAndGrad(loss as (p: Params, ...a: Arr[]) => Arr)(p, x, y, ...extra) as unknown as [Arr, Params];
    let total: Arr = np.zeros([]);
    for (const n of names) total = total.add(g[n].ref.mul(g[n].ref).sum());
    const scale = np.array(CLIP).div(np.maximum(np.sqrt(total), CLIP));
    const [lr, c1, c2] = hp;
    const nw: Params = {};
    const nm: Params = {};
    const nv: Params = {};
    for (const n of names) {
      const gn = g[n].mul(scale.ref);
      const mn = mm[n].mul(B1).add(gn.ref.mul(1 - B1));
      const vn = vv[n].mul(B2).add(gn.ref.mul(gn).mul(1 - B2));
      const u = mn.ref.mul(c1.ref).div(np.sqrt(vn.ref.mul(c2.ref)).add(EPS));
      let wn = decay.has(n) ? old[n].ref.sub(u.mul(lr.ref)) : old[n].sub(u.mul(lr.ref));
      if (decay.has(n)) wn = wn.sub(old[n].mul(lr.ref).mul(WD));
      nw[n] = wn;
      nm[n] = mn;
      nv[n] = vn;
    }
    scale.dispose();
    lr.dispose();
    c1.dispose();
    c2.dispose();
    return [nw, nm, nv, value];
  });

  const batch = w === 'A' ? 256 : 16;
  let t = 0;
  let disposed = false;
  return {
    workload: w,
    device,
    async run(k: number): Promise<number> {
      if (disposed) throw new Error('this jax-js trainer was disposed');
      let last: Arr | null = null;
      for (let s = 0; s < k; s++) {
        t += 1;
        let i0: Int32Array<ArrayBuffer>;
        let i1: Int32Array<ArrayBuffer>;
        if (w === 'A') {
          i0 = Int32Array.from({ length: batch }, () => rng.nextInt(rows));
          i1 = i0;
        } else {
          // a random window of T + 1 characters per sample: x its first T, y its last T
          i0 = new Int32Array(batch * T);
          i1 = new Int32Array(batch * T);
          for (let b = 0; b < batch; b++) {
            const s0 = rng.nextInt(chars - T - 1);
            for (let j = 0; j < T; j++) {
              i0[b * T + j] = s0 + j;
              i1[b * T + j] = s0 + j + 1;
            }
          }
        }
        const hp = [np.array(LR), np.array(1 / (1 - B1 ** t)), np.array(1 / (1 - B2 ** t))];
        const out = step(params, m, v, hp, data[0].ref, data[1].ref, np.array(i0, { dtype: np.int32 }), np.array(i1, { dtype: np.int32 })) as unknown as [Params, Params, Params, Arr];
        [params, m, v] = out;
        last?.dispose();
        last = out[3];
      }
      return (await last!.data())[0]; // data() consumes the array
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const n of names) {
        params[n].dispose();
        m[n].dispose();
        v[n].dispose();
      }
      for (const a of data) a.dispose();
      step.dispose();
    },
  };
}
