// The app's other flows, driven through the page: export/import across browser profiles, a CPU
// checkpoint resumed by the CLI, fresh-from-weights on a changed dataset, no WebGPU, and the
// README's first command.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { DATASETS, tabtrain, tempDir } from '../support/cli';
import { diffContents } from '../support/resume-check';
import { downloadCheckpoint, dropFiles, fileFrom, fillForm, liveStep, openApp, runRow, startFreshRun, waitStatus } from './app';
import { openBrowser, useServer } from './harness';

const app = useServer();

const iris = () => fileFrom(join(DATASETS, 'iris.csv'));
const FORM = { lengthUnit: 'steps', length: '20', batchSize: '16', seed: '3', ckptEverySteps: '4', ckptEverySeconds: '3600', evalEvery: '10', logEvery: '2' };

it('CPU backend: pause, export; the CLI resumes it bit-identically to the browser; a fresh profile imports and resumes it', async () => {
  const dir = tempDir();
  const a = await openBrowser();
  let paused: Uint8Array;
  let browserFinal: Uint8Array;
  try {
    // 30 ms after every step (a development-build switch, see docs/app.md): 300 steps last
    // long enough that Pause lands mid-run however fast the machine is
    await openApp(a.page, `${app.url}/?backend=cpu&stepDelay=30`);
    await expect.poll(() => a.page.getByTestId('backend-status').textContent()).toMatch(/cpu/i);
    await dropFiles(a.page, [iris()]);
    await fillForm(a.page, { ...FORM, length: '300', ckptEverySteps: '25' });
    await a.page.getByRole('button', { name: 'Start training' }).click();
    const runId = await waitStatus(a.page, 'running');
    await expect.poll(() => liveStep(a.page), { timeout: 120_000, interval: 50 }).toBeGreaterThanOrEqual(6);
    await runRow(a.page, runId).getByRole('button', { name: 'Pause' }).click();
    await waitStatus(a.page, 'paused', runId);
    paused = await downloadCheckpoint(a.page, runId, 'latest');
    await runRow(a.page, runId).getByRole('button', { name: 'Resume' }).click();
    await waitStatus(a.page, 'finished', runId);
    browserFinal = await downloadCheckpoint(a.page, runId, 'final');
  } finally {
    await a.close();
  }
  const pausedState = (await decodeCkpt(paused)).state as any;
  expect(pausedState.backend).toBe('cpu');
  expect(pausedState.step).toBeGreaterThan(0);
  expect(pausedState.step).toBeLessThan(300);

  // The CLI continues the browser's CPU checkpoint to the same end, bit for bit.
  writeFileSync(join(dir, 'paused.ckpt'), paused);
  const cli = tabtrain(['resume', join(dir, 'paused.ckpt'), '--data', join(DATASETS, 'iris.csv'), '--out', join(dir, 'cli.ckpt')]);
  expect(cli.code, cli.stderr).toBe(0);
  const d = diffContents(await decodeCkpt(browserFinal), await decodeCkpt(new Uint8Array(readFileSync(join(dir, 'cli.ckpt')))));
  expect(d.tensors).toEqual([]);
  expect(d.state).toEqual([]);

  // A fresh browser profile: drop the .ckpt, then its dataset, and resume.
  const b = await openBrowser();
  try {
    await openApp(b.page, `${app.url}/?backend=cpu`);
    await dropFiles(b.page, [{ path: 'paused.ckpt', bytes: paused }]);
    const view = b.page.getByTestId('import-view');
    await view.waitFor();
    await expect.poll(() => view.textContent()).toMatch(new RegExp(`step\\D{0,20}${pausedState.step}(?!\\d)`, "i"));
    await b.page.getByTestId('import-needs-dataset').waitFor();
    await dropFiles(b.page, [iris()]);
    await view.getByRole('button', { name: 'Resume on this dataset' }).click();
    const runId = await waitStatus(b.page, 'finished');
    const imported = await decodeCkpt(await downloadCheckpoint(b.page, runId, 'final'));
    expect((imported.state as any).step).toBe(300);
    // Same backend (CPU) on the same machine: the imported run also ends bit-identical.
    expect(diffContents(await decodeCkpt(browserFinal), imported).tensors).toEqual([]);
  } finally {
    await b.close();
  }
});

it('fresh from weights on a dataset with one more class: matching tensors load, the head loads by class name (the new class initialised), the parent is recorded', async () => {
  const s = await openBrowser();
  const page = s.page;
  try {
    await openApp(page, app.url);
    await dropFiles(page, [iris()]);
    await fillForm(page, { ...FORM, length: '6' });
    await page.getByRole('button', { name: 'Start training' }).click();
    const parentId = await waitStatus(page, 'finished');
    // iris plus a fourth species
    const extra = Array.from({ length: 12 }, (_, i) => `${(7 + i * 0.1).toFixed(1)},3.0,${(6 + i * 0.1).toFixed(1)},2.5,newspecies`).join('\n');
    const changed = new TextEncoder().encode(readFileSync(join(DATASETS, 'iris.csv'), 'utf8').trimEnd() + '\n' + extra + '\n');
    await dropFiles(page, [{ path: 'iris-plus.csv', bytes: changed }]);
    await expect.poll(() => page.getByTestId('dataset-preview').textContent()).toMatch(/newspecies/);
    await runRow(page, parentId).getByRole('button', { name: 'Checkpoints' }).click();
    const final = page.locator('[data-testid="ckpt-row"][data-kind="final"]').first();
    await final.getByRole('button', { name: 'Start fresh from these weights' }).click();
    const plan = page.getByTestId('fresh-plan');
    await expect.poll(() => plan.textContent(), { timeout: 60_000 }).toMatch(/head\.kernel/);
    const text = (await plan.textContent())!;
    expect(text).toMatch(/model\.head\.kernel: 3 of 4 classes loaded, 1 new class initialised: "newspecies"/);
    expect(text).toMatch(/model\.layers\.0\.kernel/);
    expect(text).toMatch(/dataset changed/i);
    expect(text).toMatch(/What changed: 12 rows added \(150 -> 162\); class "newspecies" added/);
    // Resume is refused onto a different architecture: only the fresh run is offered.
    expect(await plan.getByRole('button', { name: 'Resume on this dataset' }).count()).toBe(0);
    const childId = await startFreshRun(page, plan, parentId);
    const child = await decodeCkpt(await downloadCheckpoint(page, childId, 'final'));
    const st = child.state as any;
    expect(st.lineage.origin).toBe('fresh');
    expect(st.lineage.parent.runId).toBe(parentId);
    expect(st.config.model.outputSize).toBe(4);
    expect(st.optimizer.updates).toBeGreaterThan(0);
  } finally {
    await s.close();
  }
});

it('without WebGPU the page says so, with the reason, and still trains', async () => {
  const s = await openBrowser({ webgpu: false });
  try {
    await openApp(s.page, app.url);
    const banner = s.page.getByTestId('backend-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/WebGPU is not available.*(navigator\.gpu|adapter)/i);
    expect(await s.page.getByTestId('backend-status').textContent()).toMatch(/wasm|webgl|cpu/i);
    await dropFiles(s.page, [iris()]);
    await fillForm(s.page, { ...FORM, length: '4' });
    await s.page.getByRole('button', { name: 'Start training' }).click();
    await waitStatus(s.page, 'finished');
  } finally {
    await s.close();
  }
});

it("the README's first command starts the app with the samples ready", async () => {
  const readme = readFileSync('README.md', 'utf8');
  const first = /```sh\n(.+)\n/.exec(readme)![1];
  expect(first).toMatch(/^npm install && npm start\s/);
  const port = 5400 + Math.floor(Math.random() * 500);
  const child = spawn('npm', ['start', '--', '--port', String(port), '--strictPort'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const s = await openBrowser();
  try {
    let out = '';
    child.stdout!.on('data', (b) => (out += b));
    await expect.poll(() => out, { timeout: 60_000 }).toMatch(/localhost/);
    await openApp(s.page, `http://localhost:${port}/?sample=iris`);
    await expect.poll(() => s.page.getByTestId('dataset-preview').textContent(), { timeout: 60_000 }).toMatch(/species/);
    await s.page.getByRole('button', { name: 'Sample: tiny Shakespeare' }).click();
    await expect.poll(() => s.page.getByTestId('dataset-preview').textContent(), { timeout: 60_000 }).toMatch(/65/);
  } finally {
    await s.close();
    process.kill(-child.pid!, 'SIGTERM');
  }
});
