// The WebAssembly backend in the page (src/engine/wasm.ts): chosen with ?backend=wasm, or where
// WebGPU is missing. A CNN trains on it (its filter gradient is tabtrain's own kernel), and the
// checkpoint says it was trained on wasm.
import { expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { downloadCheckpoint, fillForm, openApp, waitStatus } from './app';
import { openBrowser, useServer } from './harness';

const app = useServer();

it('a CNN trains on the WebAssembly backend and its checkpoint records it', async () => {
  const s = await openBrowser();
  try {
    const page = s.page;
    await openApp(page, `${app.url}/?backend=wasm&sample=shapes`);
    expect(await page.getByTestId('backend-status').textContent()).toMatch(/WebAssembly/);
    await expect.poll(() => page.getByTestId('dataset-preview').textContent(), { timeout: 60_000 }).toMatch(/image/i);
    await fillForm(page, { lengthUnit: 'steps', length: '6', batchSize: '8', ckptEverySteps: '3', ckptEverySeconds: '3600', evalEvery: '3', logEvery: '1' });
    await page.getByRole('button', { name: 'Start training' }).click();
    const runId = await waitStatus(page, 'finished');
    const c = await decodeCkpt(await downloadCheckpoint(page, runId, 'final'));
    const st = c.state as { backend: string; step: number; metrics: { history: { trainLoss?: number; valLoss?: number }[] } };
    expect([st.backend, st.step]).toEqual(['wasm', 6]);
    const losses = st.metrics.history.flatMap((p) => [p.trainLoss, p.valLoss]).filter((x) => x !== undefined);
    expect(losses.length).toBeGreaterThan(3);
    expect(losses.every((x) => Number.isFinite(x))).toBe(true);
    expect(s.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
  } finally {
    await s.close();
  }
});
