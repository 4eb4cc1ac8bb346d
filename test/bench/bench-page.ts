// The bench page's main thread: it only watches. A PerformanceObserver records every long task
// (> 50 ms) while the worker trains; the runner counts those inside the training windows.
// With ?mode=fresh|resume it measures page load to the first training step (see run.ts).
import { wrap } from 'comlink';
import type { BenchApi } from './bench.worker';

interface LongTask {
  start: number;
  duration: number;
  name: string;
}
const w = window as unknown as Record<string, unknown>;
const longTasks: LongTask[] = [];
w.longTasks = longTasks;
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: performance.timeOrigin + e.startTime, duration: e.duration, name: e.name });
  }).observe({ type: 'longtask', buffered: true });
  w.longTaskObserver = true;
} catch {
  w.longTaskObserver = false;
}

const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
const bench = wrap<BenchApi>(worker);
w.bench = bench;

const q = new URLSearchParams(location.search);
const mode = q.get('mode');
if (mode === 'fresh' || mode === 'resume') {
  const c = JSON.parse(q.get('case')!);
  bench
    .firstStep(mode, c, q.get('backend') ?? 'webgpu', q.get('id') ?? '')
    .then((r) => (w.firstStep = { ...r, pageStart: performance.timeOrigin }))
    .catch((e: unknown) => (w.firstStep = { error: String(e) }));
}
w.benchReady = true;
