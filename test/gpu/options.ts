// The GPU bench's command line (bench-dawn.ts --help). Pure, so it is unit-tested.
import type { Workload } from './workloads';

export interface GpuBenchOptions {
  /** timed rounds per workload and side; the median is reported. */
  rounds: number;
  /** steps per timed round, per workload. */
  steps: Record<Workload, number>;
  /** untimed steps after the first one (shader compilation) and before the rounds. */
  warmSteps: Record<Workload, number>;
  /** steps of each determinism run (0: skip the check for that workload). */
  checkSteps: Record<Workload, number>;
  /** flags passed to Dawn's create() (also from DAWN_FLAGS, comma-separated). */
  dawnFlags: string[];
  /** turn tabtrain's fused WebGPU kernels off (src/engine/kernels.ts), to compare. */
  unfused: boolean;
  /** where the JSON goes besides stdout; default $OUT/gpu-result.json when $OUT is set. */
  out?: string;
}

export const USAGE = `tabtrain GPU bench: workloads A and B on WebGPU through Dawn (Node), determinism and resume checks.
options:
  --quick              few rounds and steps (a smoke run, e.g. on SwiftShader)
  --rounds N           timed rounds per workload (default 7)
  --steps-a N          steps per round, workload A (default 50)
  --steps-b N          steps per round, workload B (default 20)
  --check-a N          steps of each determinism run, A (default 20; 0 skips)
  --check-b N          steps of each determinism run, B (default 10; 0 skips)
  --unfused            tfjs' one-kernel-per-op path instead of tabtrain's fused kernels
  --dawn-flag F        a Dawn flag, e.g. backend=vulkan or adapter=NAME (repeatable; also DAWN_FLAGS=a,b)
  --out FILE           also write the JSON here (default: $OUT/gpu-result.json when $OUT is set)
The JSON result goes to stdout; progress to stderr.`;

function int(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`${name} needs a whole number >= ${min} (got ${v ?? 'nothing'})`);
  return n;
}

export function parseOptions(argv: string[], env: Record<string, string | undefined>): GpuBenchOptions {
  const quick = argv.includes('--quick');
  const o: GpuBenchOptions = {
    rounds: quick ? 3 : 7,
    steps: quick ? { A: 5, B: 2 } : { A: 50, B: 20 },
    warmSteps: quick ? { A: 2, B: 1 } : { A: 20, B: 10 },
    checkSteps: quick ? { A: 4, B: 2 } : { A: 20, B: 10 },
    dawnFlags: (env.DAWN_FLAGS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    unfused: false,
    out: env.OUT ? `${env.OUT.replace(/\/+$/, '')}/gpu-result.json` : undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--quick':
        break;
      case '--rounds':
        o.rounds = int(a, next(), 1);
        break;
      case '--steps-a':
        o.steps.A = int(a, next(), 1);
        break;
      case '--steps-b':
        o.steps.B = int(a, next(), 1);
        break;
      case '--check-a':
        o.checkSteps.A = int(a, next(), 0);
        break;
      case '--check-b':
        o.checkSteps.B = int(a, next(), 0);
        break;
      case '--unfused':
        o.unfused = true;
        break;
      case '--dawn-flag': {
        const f = next();
        if (!f) throw new Error('--dawn-flag needs a value, e.g. backend=vulkan');
        o.dawnFlags.push(f);
        break;
      }
      case '--out': {
        const f = next();
        if (!f) throw new Error('--out needs a file name');
        o.out = f;
        break;
      }
      default:
        throw new Error(`unknown option ${a}\n\n${USAGE}`);
    }
  }
  // the resume check saves at the middle of a determinism run: it needs at least 2 steps
  for (const w of ['A', 'B'] as const) if (o.checkSteps[w] === 1) throw new Error(`--check-${w.toLowerCase()} must be 0 (skip) or at least 2: the resume check saves halfway`);
  return o;
}
