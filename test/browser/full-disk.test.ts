// A real full disk: the Chromium profile lives on a small tmpfs, another process fills it while
// the app trains, and the app then writes. Whatever the browser does to its database, every
// run keeps its newest complete checkpoint and its dataset (docs/reliability.md "A real full disk").
// Needs root (mount); CI runs as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { DATASETS } from '../support/cli';
import { downloadCheckpoint, dropFiles, fileFrom, fillForm, liveStep, openApp, runRow, waitStatus } from './app';
import { openBrowser, useServer } from './harness';

const app = useServer();

function mountTmpfs(mb: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'tabtrain-fulldisk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir]);
  return dir;
}

/** Fills the file system from another process until it refuses (ENOSPC). */
function fillDisk(dir: string): void {
  spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
}

it('a real full disk: training pauses with a clear message; after a restart every run, its newest checkpoint and its dataset are back', async () => {
  const dir = mountTmpfs(160);
  const profileDir = join(dir, 'profile');
  let s = await openBrowser({ profileDir });
  try {
    await openApp(s.page, `${app.url}/?backend=cpu`);
    await dropFiles(s.page, [fileFrom(join(DATASETS, 'iris.csv'))]);
    await fillForm(s.page, { lengthUnit: 'steps', length: '100000', batchSize: '16', seed: '3', hidden: '256, 256', ckptEverySteps: '10', ckptEverySeconds: '3600', evalEvery: '50', logEvery: '5' });
    await s.page.getByRole('button', { name: 'Start training' }).click();
    const runId = await waitStatus(s.page, 'running');
    await expect.poll(() => liveStep(s.page), { timeout: 120_000 }).toBeGreaterThanOrEqual(25);
    const saved = await downloadCheckpoint(s.page, runId, 'latest');
    const before = ((await decodeCkpt(saved)).state as { step: number }).step;

    fillDisk(dir); // another program fills the disk while the run trains and checkpoints every 10 steps
    await waitStatus(s.page, 'paused', runId, 180_000);
    expect(await runRow(s.page, runId).textContent()).toMatch(/The disk is full: saving .* Free space on the disk, then reload the page/);

    // space is freed; the browser starts again on the same profile (it drops the broken database)
    rmSync(join(dir, 'filler'), { force: true });
    await s.close();
    s = await openBrowser({ profileDir });
    await openApp(s.page, `${app.url}/?backend=cpu`);
    await runRow(s.page, runId).waitFor({ timeout: 60_000 });
    const recover = () => s.page.evaluate(() => (window as any).tabtrain.api.recover()) as Promise<{ runs: { id: string; kind: string; step: number }[] }>;
    const first = await recover();
    // Chromium drops the origin's database after some full-disk failures and keeps it after
    // others (both seen here). Drop it as Chromium does, so the recovery is always exercised.
    if (first.runs.length === 0) {
      await s.close();
      rmSync(join(profileDir, 'Default', 'IndexedDB'), { recursive: true, force: true });
      s = await openBrowser({ profileDir });
      await openApp(s.page, `${app.url}/?backend=cpu`);
    }
    await runRow(s.page, runId).waitFor({ timeout: 60_000 });
    await expect.poll(() => s.page.getByTestId('eviction-banner').textContent()).toMatch(/Restored from safety copies: mlp on iris\.csv \(its \w+ checkpoint, step \d+/);
    const [restored] = (await recover()).runs;
    expect(restored.id).toBe(runId);
    const back = ((await decodeCkpt(await downloadCheckpoint(s.page, runId, restored.kind))).state as { step: number }).step;
    // Copies are written in the background after each save: the one of the save just before the
    // disk filled may not have made it, so the run comes back at most one save (10 steps) earlier
    // (docs/reliability.md "A real full disk", Limits). Measured in CI: step 30 for a save at 40.
    expect([back, back >= before - 10]).toEqual([restored.step, true]);
    // the dataset came back too: Resume trains on it
    const row = runRow(s.page, runId);
    await row.getByRole('button', { name: 'Resume', exact: true }).click();
    await waitStatus(s.page, 'running', runId);
    await expect.poll(() => liveStep(s.page), { timeout: 120_000 }).toBeGreaterThan(back + 5);
    await row.getByRole('button', { name: 'Pause' }).click();
    await waitStatus(s.page, 'paused', runId);
  } finally {
    await s.close();
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});
