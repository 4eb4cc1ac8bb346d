// The built app (`vite build`, served by `vite preview` with its headers) trains on threaded wasm.
// The dev server the other tests use does not minify; a minified bundle once broke tfjs' pthread
// workers (src/worker/wasm-files.ts, selfContainedMainScript), which only a build shows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fillForm, openApp, waitStatus } from './app';
import { openBrowser } from './harness';

const outDir = mkdtempSync(join(tmpdir(), 'tabtrain-build-'));
let server: PreviewServer | undefined;
let url = '';

beforeAll(async () => {
  const configFile = join(process.cwd(), 'vite.config.ts');
  await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false } });
  server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', open: false } });
  const addr = server.httpServer.address();
  if (!addr || typeof addr === 'string') throw new Error('vite preview has no port');
  url = `http://localhost:${addr.port}`;
});

afterAll(async () => {
  await server?.close();
  rmSync(outDir, { recursive: true, force: true });
});

it('the built app is isolated and a run finishes on threaded wasm', async () => {
  const s = await openBrowser();
  try {
    const page = s.page;
    await openApp(page, `${url}/?backend=wasm&sample=iris`);
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    expect(await page.getByTestId('backend-status').textContent()).toMatch(/^Training on WebAssembly \(CPU, SIMD, \d+ threads\)$/);
    await expect.poll(() => page.getByTestId('dataset-preview').textContent(), { timeout: 60_000 }).toMatch(/species/i);
    await fillForm(page, { lengthUnit: 'steps', length: '6', ckptEverySteps: '3', ckptEverySeconds: '3600', evalEvery: '3', logEvery: '1' });
    await page.getByRole('button', { name: 'Start training' }).click();
    await waitStatus(page, 'finished');
    expect(s.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
  } finally {
    await s.close();
  }
});
