// The wasm backend with threads in the browser (src/worker/wasm-files.ts): the Vite server sends
// the cross-origin isolation headers (vite.config.ts), so the worker gets SharedArrayBuffer and
// tfjs' threaded SIMD binary. A checkpoint trained there on more than one thread still resumes
// bit-identically in the CLI, which runs single-threaded wasm in Node. Served without the
// headers, the page falls back to single-threaded SIMD and says why.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng';
import { DATASETS, expectCliResumeIdentical, tempDir } from '../support/cli';
import { openApp } from './app';
import { openBrowser, useServer } from './harness';

const server = useServer();

/** Serves `path` (the page itself) without COOP/COEP, as a static host without _headers would. */
async function withoutIsolation(page: Page, path: string): Promise<void> {
  await page.route(
    (u) => u.pathname === path,
    async (route) => {
      const r = await route.fetch();
      const headers = { ...r.headers() };
      delete headers['cross-origin-opener-policy'];
      delete headers['cross-origin-embedder-policy'];
      await route.fulfill({ response: r, headers });
    },
  );
}

/** Workload A's shape (64 features, 10 classes) as a CSV: big enough that XNNPACK splits each matmul across threads. */
function csv64(rows: number): string {
  const rng = Rng.fromSeed(11);
  const lines = [[...Array.from({ length: 64 }, (_, i) => `f${i}`), 'label'].join(',')];
  for (let r = 0; r < rows; r++) {
    const y = r % 10;
    lines.push([...Array.from({ length: 64 }, (_, f) => (rng.nextNormal() + (f === y ? 2 : 0)).toFixed(4)), `c${y}`].join(','));
  }
  return `${lines.join('\n')}\n`;
}

// Workload A's shape (an MLP on 64 features) and a small version of workload B (a causal
// transformer: batched matmuls, softmax, layer norm), each big enough to be split across threads.
const WORKLOADS = [
  {
    name: 'mlp 64-256-256-10, batch 256',
    file: (dir: string) => writeData(dir, 'a64.csv', csv64(768)),
    parse: { label: 'label' },
    overrides: { steps: 8, hidden: [256, 256], batchSize: 256, optimizer: 'adamw', weightDecay: 0.01, clipNorm: 1, dropout: 0.1, seed: 5 },
    k: 4,
  },
  {
    name: 'transformer ctx 32, d 64, 2 layers, 4 heads, batch 16',
    file: (dir: string) => writeData(dir, 'shakespeare.txt', readFileSync(join(DATASETS, 'tinyshakespeare.txt'), 'utf8').slice(0, 20_000)),
    parse: {},
    overrides: { steps: 6, contextLength: 32, dModel: 64, numLayers: 2, numHeads: 4, batchSize: 16, optimizer: 'adamw', clipNorm: 1, dropout: 0.1, seed: 5 },
    k: 3,
  },
];

function writeData(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

it.each(WORKLOADS)('engine page, threaded wasm, $name: checkpoint at k + CLI resume == browser straight N', async (w) => {
  const s = await openBrowser();
  try {
    await s.page.goto(`${server.url}/test/browser/engine.html`);
    await s.page.waitForFunction(() => (window as unknown as { engineReady?: boolean }).engineReady === true);
    expect(await s.page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    const b = await s.page.evaluate(async () => (window as any).engine.backend('wasm'));
    expect(b.ok, b.reason).toBe(true);
    expect(b.wasm).toMatchObject({ simd: true, isolated: true });
    // one thread would make the bit-identity below say nothing about threads
    expect(b.wasm.threads, 'the threaded binary did not start more than one thread').toBeGreaterThan(1);

    const dir = tempDir();
    const data = w.file(dir);
    const file = { path: data.split('/').pop()!, bytes: Array.from(readFileSync(data)) };
    const r = await s.page.evaluate(([f, p, o, k]) => (window as any).engine.exportPair(f, p, o, k), [file, w.parse, w.overrides, w.k] as const);
    expect(r.backend).toBe('wasm');
    // the CLI: Node, wasm on one thread (tfjs does not thread in Node)
    await expectCliResumeIdentical(r, data, w.k);
  } finally {
    await s.close();
  }
});

it('the app: every response carries the isolation headers, nothing comes from elsewhere, and the status names the threads', async () => {
  const s = await openBrowser();
  try {
    const origin = new URL(server.url).origin;
    const foreign: string[] = [];
    const bare: string[] = [];
    s.context.on('response', (res) => {
      const u = new URL(res.url());
      if (u.protocol === 'blob:' || u.protocol === 'data:') return;
      if (u.origin !== origin) foreign.push(res.url());
      else if (res.status() === 200 && res.headers()['cross-origin-embedder-policy'] !== 'require-corp') bare.push(res.url());
    });
    await openApp(s.page, `${server.url}/?backend=wasm&sample=iris`);
    expect(await s.page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    const status = (await s.page.getByTestId('backend-status').textContent()) ?? '';
    expect(status).toMatch(/^Training on WebAssembly \(CPU, SIMD, \d+ threads\)$/);
    expect(Number(await s.page.getByTestId('backend-status').getAttribute('data-threads'))).toBeGreaterThan(1);
    await expect.poll(() => s.page.getByTestId('dataset-preview').textContent(), { timeout: 60_000 }).toMatch(/species/i);
    expect(foreign).toEqual([]);
    expect(bare).toEqual([]);
    expect(s.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
  } finally {
    await s.close();
  }
});

it('served without the headers, the app falls back to single-threaded SIMD and says why', async () => {
  const s = await openBrowser();
  try {
    await withoutIsolation(s.page, '/');
    await openApp(s.page, `${server.url}/?backend=wasm`);
    expect(await s.page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
    expect(await s.page.getByTestId('backend-status').textContent()).toBe('Training on WebAssembly (CPU, SIMD, 1 thread: the page is not cross-origin isolated)');
    expect(s.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
  } finally {
    await s.close();
  }
});
