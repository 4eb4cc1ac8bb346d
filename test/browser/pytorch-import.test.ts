// Back to the tab (issue 13): a run the TypeScript CLI started and PyTorch continued
// (`python -m tabtrain resume`, python/) is dropped on the page, resumed on its dataset, and
// continues where PyTorch stopped: the step, update count, cursor and schedule position are
// PyTorch's, the lineage keeps the PyTorch segment, and the page's CPU backend ends bit-identical
// to the CLI resuming the same file on its CPU backend.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { DATASETS, tabtrain, tempDir } from '../support/cli';
import { diffContents } from '../support/resume-check';
import { downloadCheckpoint, dropFiles, fileFrom, openApp, waitStatus } from './app';
import { openBrowser, useServer } from './harness';

const app = useServer();
const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const IRIS = join(DATASETS, 'iris.csv');

it('a PyTorch-written .ckpt imports into the app and resumes at the step, updates and schedule position PyTorch reached', async () => {
  const dir = tempDir();
  const ts = join(dir, 'ts10.ckpt');
  const py = join(dir, 'py25.ckpt');
  // tabtrain: 10 of 40 steps on a cosine schedule (its length is the target: 40 steps), ended
  // the deterministic way (Ctrl-C would land on any step): early stopping with a threshold no
  // loss passes, checked at step 10 only. The target stays the run's: 30 steps ahead.
  const t = tabtrain(['train', '--data', IRIS, '--steps', '40', '--stop-if-loss-above', '0', '--by-step', '10', '--batch-size', '16', '--schedule', 'cosine', '--seed', '3', '--log-every', '1', '--backend', 'cpu', '--out', ts, '--quiet']);
  expect(t.code, t.stderr).toBe(0);
  expect(t.stderr).toContain('stopped early at step 10');
  // PyTorch continues from 10 and stops early at 25 (same device: the loss EMA is above 0), so
  // its checkpoint still has 15 steps of the run's target ahead.
  const r = spawnSync(PYTHON, ['-m', 'tabtrain', 'resume', ts, '--data', IRIS, '--out', py, '--stop-if-loss-above', '0', '--by-step', '25', '--device', 'cpu', '--quiet'], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: resolve('python'), OMP_NUM_THREADS: '1' },
    timeout: 300_000,
  });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  const pyBytes = new Uint8Array(readFileSync(py));
  const pyState = (await decodeCkpt(pyBytes)).state as any;
  expect([pyState.step, pyState.optimizer.updates, pyState.backend, pyState.config.target, pyState.config.schedule.totalSteps]).toEqual([25, 25, 'pytorch', { steps: 40 }, 40]);

  // The CLI resumes the same file on its CPU backend: what the page must reproduce.
  const cli = join(dir, 'cli40.ckpt');
  const c = tabtrain(['resume', py, '--data', IRIS, '--out', cli, '--backend', 'cpu', '--quiet']);
  expect(c.code, c.stderr).toBe(0);

  const b = await openBrowser();
  let final: Uint8Array;
  try {
    await openApp(b.page, `${app.url}/?backend=cpu`);
    await expect.poll(() => b.page.getByTestId('backend-status').textContent()).toMatch(/cpu/i);
    await dropFiles(b.page, [{ path: 'from-pytorch.ckpt', bytes: pyBytes }]);
    const view = b.page.getByTestId('import-view');
    await view.waitFor();
    await expect.poll(() => view.textContent()).toMatch(/step\D{0,20}25(?!\d)/i);
    await b.page.getByTestId('import-needs-dataset').waitFor();
    await dropFiles(b.page, [fileFrom(IRIS)]);
    await view.getByRole('button', { name: 'Resume on this dataset' }).click();
    const runId = await waitStatus(b.page, 'finished');
    final = await downloadCheckpoint(b.page, runId, 'final');
  } finally {
    await b.close();
  }
  const page = await decodeCkpt(final);
  const s = page.state as any;
  expect([s.step, s.optimizer.updates, s.config.schedule]).toEqual([40, 40, pyState.config.schedule]);
  // It continued PyTorch's history: the logged points before 25 are PyTorch's, then every step on.
  const logged = s.metrics.history.filter((p: any) => p.trainLoss !== undefined).map((p: any) => p.step);
  expect(logged).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(s.metrics.history.filter((p: any) => p.step <= 25)).toEqual(pyState.metrics.history);
  // The lineage keeps the PyTorch segment, and the resumptions at 10 and 25.
  expect(s.lineage.runId).toBe(pyState.lineage.runId);
  expect(s.lineage.resumedAt).toEqual([10, 25]);
  expect(s.lineage.segments).toEqual([expect.objectContaining({ framework: 'pytorch', processes: 1, device: 'cpu', fromStep: 10, toStep: 25 })]);
  // Step, cursor, RNG, update count, schedule LR and every logged loss: the CLI's, bit for bit.
  const d = diffContents(await decodeCkpt(new Uint8Array(readFileSync(cli))), page);
  expect(d).toEqual({ tensors: [], state: [] });
}, 600_000);
