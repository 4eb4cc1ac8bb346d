// The bench's peer machinery (test/bench/): the jax-js versions of workloads A and B train (their
// loss falls, so the peer numbers are of a working training step, not of a broken one), and the
// interleaved rounds rotate the order of the sides and time each side's own steps; the peer
// ratios land in latest.json per workload with their goals.
import { describe, expect, it } from 'vitest';
import { jaxInit, jaxTrainer } from '../bench/jax-models';
import { interleaved, type Side } from '../bench/peer-workloads';
import { computeRatios, peerGoals, type Results } from '../bench/report';

describe('jax-js peer (wasm in Node)', () => {
  it('workload A: the loss falls over 40 steps and the weights stay finite', async () => {
    expect(await jaxInit('wasm')).toBe(true);
    const t = jaxTrainer('A');
    try {
      const first = await t.run(1);
      // 10 balanced random classes, small initial weights: about ln 10
      expect(first).toBeGreaterThan(2.0);
      expect(first).toBeLessThan(2.8);
      const later = await t.run(40);
      expect(Number.isFinite(later)).toBe(true);
      expect(later).toBeLessThan(first - 0.1);
    } finally {
      t.dispose();
    }
  });

  it('workload B: the loss falls towards ln 65 on random text', async () => {
    expect(await jaxInit('wasm')).toBe(true);
    const t = jaxTrainer('B');
    try {
      const first = await t.run(1);
      const later = await t.run(6);
      expect(later).toBeLessThan(first);
      expect(later).toBeGreaterThan(Math.log(65) - 0.2);
    } finally {
      t.dispose();
    }
  });
});

describe('interleaved rounds', () => {
  it('runs the first step apart, warms up, then rotates the order each round', async () => {
    const calls: string[] = [];
    const side = (name: string, msPerStep: number): Side => ({
      name,
      run: async (k) => {
        calls.push(`${name}${k}`);
        return k * msPerStep;
      },
    });
    const r = await interleaved([side('a', 10), side('b', 20), side('c', 40)], { rounds: 3, K: 4 });
    expect(calls).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'c2', 'a4', 'b4', 'c4', 'b4', 'c4', 'a4', 'c4', 'a4', 'b4']);
    expect(r.first).toEqual([10, 20, 40]);
    // steps/s of each side, per round, in the sides' order whatever order they ran in
    expect(r.perRound).toEqual([[100, 100, 100], [50, 50, 50], [25, 25, 25]]);
  });

  it('warms up for at least warmMs', async () => {
    let n = 0;
    await interleaved([{ name: 'a', run: async (k) => ((n += k), k * 100) }], { rounds: 0, K: 2, warmMs: 1000 });
    expect(n).toBe(1 + 10); // one first step, then 2-step warm-ups until 1,000 ms
  });

  it('keeps warming up while a side still speeds up, up to warmMaxMs', async () => {
    // 2-step chunks take 400, 200, 100, 70, 70, ... ms: the warm-up stops after the first chunk
    // that is not over 20% faster than the one before (the second 70)
    const chunks = [400, 200, 100, 70, 70, 70, 70];
    let i = 0;
    await interleaved([{ name: 'a', run: async (k) => (k === 1 ? 1000 : chunks[i++]) }], { rounds: 0, K: 4, warmMs: 100, warmMaxMs: 10_000 });
    expect(i).toBe(5);
    // a side that keeps speeding up stops at warmMaxMs
    let n = 0;
    // chunks of 700, 490, 343, 240, 168, 118 ms (1,941 ms after 5, 2,059 after 6)
    await interleaved([{ name: 'b', run: async (k) => (k === 1 ? 1 : (n++, 1000 * 0.7 ** n)) }], { rounds: 0, K: 4, warmMaxMs: 2000 });
    expect(n).toBe(6);
  });
});

describe('peer ratios in latest.json', () => {
  const side = (rounds: number[]) => ({ firstStepMs: 1, rounds, stepsPerSec: rounds[0] });
  const results = (): Results => ({
    schema: 1, startedAt: '', durationSec: 0, machine: {}, settings: {}, browser: {}, node: {}, dawn: { run: false, why: '' },
    ratios: {}, ratiosByBackend: {}, goals: {}, notes: [], errors: [],
    peers: {
      A: { label: 'A', stepsPerRound: 3, tabtrainWasm: side([10]), tabtrainCpu: side([1]), cliVsJaxWasm: 1.25, cliVsTorchCpu: 0.5 },
      B: { error: 'broke' },
    },
    browserPeers: {
      A: { label: 'A', stepsPerRound: 3, rounds: 1, dispatchCounter: true, throughputVsJaxWebgpu: 0.2, dispatchesVsJax: 88 / 67 },
      B: { label: 'B', stepsPerRound: 2, rounds: 1, dispatchCounter: true, throughputVsJaxWebgpu: 1.1, dispatchesVsJax: 0.9 },
    },
  });

  it('gives every new ratio per workload, keeps the CPU one, and judges the goals', () => {
    const r = results();
    computeRatios(r);
    expect(r.ratios.throughput_vs_jax_wasm).toEqual({ A: 1.25 });
    expect(r.ratios.cli_throughput_vs_torch_cpu).toEqual({ A: 0.5 });
    expect(r.ratios.throughput_vs_jax_webgpu).toEqual({ A: 0.2, B: 1.1 });
    expect(r.ratios.dispatches_per_step_vs_jax).toEqual({ A: 88 / 67, B: 0.9 });
    expect(r.goals.dispatches_per_step_vs_jax.met).toEqual({ A: false, B: true });
    expect(r.goals.throughput_vs_jax_wasm.met).toEqual({ A: true });
    // no goal on SwiftShader for the WebGPU throughput (>= 1.0 is for a real GPU)
    expect(r.goals.throughput_vs_jax_webgpu).toBeUndefined();
    expect(peerGoals(r)).toContain('dispatches_per_step_vs_jax (goal <= 1): A 1.313 MISSED, B 0.900 met');
  });
});
