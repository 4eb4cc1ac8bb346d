// The GPU bench's pure parts (test/gpu/): its command line and its dispatch counter. The bench
// itself needs Dawn and a GPU (npm run gpu-bundle; docs/performance.md "GPU").
import { describe, expect, it } from 'vitest';
import { countDispatches } from '../gpu/counter';
import { parseOptions } from '../gpu/options';

describe('GPU bench options', () => {
  it('defaults, and $OUT gives the result file', () => {
    const o = parseOptions([], { OUT: '/out/' });
    expect(o.rounds).toBe(7);
    expect(o.steps).toEqual({ A: 50, B: 20 });
    expect(o.out).toBe('/out/gpu-result.json');
    expect(o.unfused).toBe(false);
    expect(parseOptions([], {}).out).toBeUndefined();
  });

  it('--quick is small, and explicit options win over it in any order', () => {
    const o = parseOptions(['--rounds', '2', '--quick', '--check-b', '0', '--steps-a', '9'], {});
    expect(o.rounds).toBe(2);
    expect(o.steps).toEqual({ A: 9, B: 2 });
    expect(o.checkSteps).toEqual({ A: 4, B: 0 });
  });

  it('Dawn flags come from DAWN_FLAGS and --dawn-flag', () => {
    expect(parseOptions(['--dawn-flag', 'adapter=NVIDIA H200'], { DAWN_FLAGS: 'backend=vulkan, ' }).dawnFlags).toEqual(['backend=vulkan', 'adapter=NVIDIA H200']);
  });

  it('refuses what it cannot do, saying why', () => {
    expect(() => parseOptions(['--rounds', '0'], {})).toThrow(/--rounds needs a whole number >= 1 \(got 0\)/);
    expect(() => parseOptions(['--steps-b'], {})).toThrow(/--steps-b needs a whole number/);
    expect(() => parseOptions(['--check-a', '1'], {})).toThrow(/--check-a must be 0 \(skip\) or at least 2/);
    expect(() => parseOptions(['--fast'], {})).toThrow(/unknown option --fast/);
  });
});

describe('dispatch counter', () => {
  class Pass {
    calls: number[] = [];
    dispatchWorkgroups(x: number) {
      this.calls.push(x);
      return x * 2;
    }
    dispatchWorkgroupsIndirect() {}
  }
  class Queue {
    submit() {}
  }

  it('counts dispatches and submissions, keeps the methods working, resets', () => {
    const c = countDispatches({ GPUComputePassEncoder: Pass as never, GPUQueue: Queue as never });
    const p = new Pass();
    expect(p.dispatchWorkgroups(3)).toBe(6);
    p.dispatchWorkgroups(4);
    p.dispatchWorkgroupsIndirect();
    new Queue().submit();
    expect(p.calls).toEqual([3, 4]);
    expect([c.dispatches, c.submits]).toEqual([3, 1]);
    c.reset();
    expect([c.dispatches, c.submits]).toEqual([0, 0]);
  });

  it('fails loudly when a method to count is missing', () => {
    class Bare {}
    expect(() => countDispatches({ GPUComputePassEncoder: Bare as never, GPUQueue: Queue as never })).toThrow(/cannot count dispatchWorkgroups/);
  });
});
