// The core promise, driven through the page: drop a dataset, train on WebGPU in the worker,
// reload the tab mid-run (the dataset comes back with the page), resume with one click; the
// final weights equal an uninterrupted run's.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { DATASETS } from '../support/cli';
import { diffContents } from '../support/resume-check';
import { downloadCheckpoint, dropFiles, fileFrom, fillForm, liveStep, openApp, waitStatus, type DropFile } from './app';
import { openBrowser, useServer, type BrowserSession } from './harness';

const app = useServer();

// The interrupted run sleeps this long after every step (a development-build switch, see
// docs/app.md): the reload lands mid-run on any machine, not only on one slow enough.
const STEP_DELAY_MS = 400;

async function trainRun(s: BrowserSession, file: DropFile, form: Record<string, string>, reloadAt: number | null) {
  const page = s.page;
  const url = reloadAt === null ? app.url : `${app.url}/?stepDelay=${STEP_DELAY_MS}`;
  await openApp(page, url);
  await expect.poll(() => page.getByTestId('backend-status').textContent()).toMatch(/webgpu/i);
  await dropFiles(page, [file]);
  await page.getByTestId('dataset-preview').waitFor({ timeout: 120_000 });
  await fillForm(page, form);
  await page.getByRole('button', { name: 'Start training' }).click();
  let runId = await waitStatus(page, 'running');
  if (reloadAt !== null) {
    await expect.poll(() => liveStep(page), { timeout: 300_000, interval: 200 }).toBeGreaterThanOrEqual(reloadAt);
    await page.reload();
    await openApp(page, url);
    // The dataset that was in the preview comes back with the page, ready for the next run.
    await expect.poll(() => page.getByTestId('dataset-preview').textContent(), { timeout: 60_000 }).toContain(file.path);
    runId = await waitStatus(page, 'interrupted', runId);
    const banner = page.getByTestId('interrupted-banner');
    await banner.getByRole('button', { name: /Resume/ }).first().click();
    await waitStatus(page, 'running', runId);
  }
  await waitStatus(page, 'finished', runId, 600_000);
  return decodeCkpt(await downloadCheckpoint(page, runId, 'final'));
}

const cases: { name: string; file: () => DropFile; form: Record<string, string>; reloadAt: number }[] = [
  {
    name: 'CSV (iris, mlp)',
    file: () => fileFrom(join(DATASETS, 'iris.csv')),
    form: { lengthUnit: 'steps', length: '30', batchSize: '16', seed: '7', ckptEverySteps: '4', ckptEverySeconds: '3600', evalEvery: '10', logEvery: '2' },
    reloadAt: 13,
  },
  {
    name: 'text (charlm)',
    file: () => ({ path: 'tiny.txt', bytes: new TextEncoder().encode('to be or not to be, that is the question. '.repeat(30)) }),
    form: { lengthUnit: 'steps', length: '14', batchSize: '8', seed: '7', contextLength: '8', dModel: '16', numHeads: '2', numLayers: '1', ckptEverySteps: '3', ckptEverySeconds: '3600', evalEvery: '7', logEvery: '1' },
    reloadAt: 6,
  },
];

describe('train on WebGPU, reload mid-run, resume: same weights as never stopping', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const a = await openBrowser();
      const b = await openBrowser();
      try {
        const straight = await trainRun(a, c.file(), c.form, null);
        const resumed = await trainRun(b, c.file(), c.form, c.reloadAt);
        expect((resumed.state as any).lineage.resumedAt.length).toBeGreaterThan(0);
        expect((resumed.state as any).backend).toBe('webgpu');
        const d = diffContents(straight, resumed);
        expect(d.tensors).toEqual([]);
        expect(d.state).toEqual([]);
      } finally {
        await a.close();
        await b.close();
      }
    });
  }
});
