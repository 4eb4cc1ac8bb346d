// Counting the GPU work a training step asks for (the speed issue's "dispatches per step"),
// apart from dawn.ts so that it is unit-tested without loading Dawn.

export interface DispatchCounter {
  /** compute dispatches (dispatchWorkgroups + dispatchWorkgroupsIndirect) since the last reset. */
  readonly dispatches: number;
  /** queue submissions since the last reset. */
  readonly submits: number;
  reset(): void;
}

interface Proto {
  prototype: Record<string, unknown>;
}

/** The WebGPU classes whose methods are counted. */
export interface CountedClasses {
  GPUComputePassEncoder: Proto;
  GPUQueue: Proto;
}

/**
 * Counts what the GPU is asked to do, by wrapping the prototypes' methods: every WebGPU
 * user in the process (tfjs, or jax-js once it runs here) goes through them. Call it once per
 * process: a second call wraps the wrappers and counts everything twice.
 */
export function countDispatches(classes: CountedClasses): DispatchCounter {
  const state = { dispatches: 0, submits: 0 };
  const wrap = (proto: Record<string, unknown>, name: string, bump: () => void) => {
    const original = proto[name];
    if (typeof original !== 'function') throw new Error(`cannot count ${name}: the WebGPU implementation has no such method`);
    proto[name] = function (this: unknown, ...args: unknown[]) {
      bump();
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  };
  wrap(classes.GPUComputePassEncoder.prototype, 'dispatchWorkgroups', () => state.dispatches++);
  wrap(classes.GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', () => state.dispatches++);
  wrap(classes.GPUQueue.prototype, 'submit', () => state.submits++);
  return {
    get dispatches() {
      return state.dispatches;
    },
    get submits() {
      return state.submits;
    },
    reset() {
      state.dispatches = 0;
      state.submits = 0;
    },
  };
}
