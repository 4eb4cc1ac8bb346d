// A checkpoint trained in the browser (a worker, on the wasm or the CPU backend) resumes
// bit-identically in the CLI, which keeps the checkpoint's backend.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { DATASETS, expectCliResumeIdentical } from '../support/cli';
import { useEnginePage } from './harness';

const engine = useEnginePage();

it.each(['wasm', 'cpu'])('browser %s checkpoint at step k + CLI resume to N == browser straight N', async (backend) => {
  const iris = { path: 'iris.csv', bytes: Array.from(readFileSync(join(DATASETS, 'iris.csv'))) };
  const overrides = { steps: 12, hidden: [16], batchSize: 16, dropout: 0.1, schedule: 'cosine' as const, warmupSteps: 2, scheduleSteps: 12, seed: 21 };
  const r = await engine.session.page.evaluate(async ([file, o, name]) => {
    const e = (window as any).engine;
    const b = await e.backend(name);
    if (!b.ok) throw new Error(`${name} backend: ${b.reason}`);
    // wasm runs threaded in the browser (the page is cross-origin isolated: vite.config.ts)
    if (name === 'wasm' && !(crossOriginIsolated && b.wasm?.threads > 1)) throw new Error(`wasm is not threaded here: isolated ${crossOriginIsolated}, ${JSON.stringify(b.wasm)}`);
    return e.exportPair(file, { label: 'species' }, o, 5);
  }, [iris, overrides, backend] as const);
  expect(r.backend).toBe(backend);
  await expectCliResumeIdentical(r, join(DATASETS, 'iris.csv'), 5);
});
