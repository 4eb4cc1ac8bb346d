// Branches, driven through the page: "Resume from this checkpoint" on an older checkpoint starts
// a branch; a reload's Resume continues that branch (its newest save), not the abandoned
// checkpoints at higher steps; the checkpoint browser says where the branch started.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { DATASETS } from '../support/cli';
import { dropFiles, fileFrom, fillForm, liveStep, openApp, runRow, waitStatus } from './app';
import { openBrowser, useServer } from './harness';

const app = useServer();

it('resume from an older checkpoint starts a branch; a reload resumes the branch, not the higher steps', async () => {
  const a = await openBrowser();
  const page = a.page;
  // 300 ms after every step (a development-build switch, docs/app.md): the reload lands on the branch in time.
  const url = `${app.url}/?backend=cpu&stepDelay=300`;
  const rows = page.locator('[data-testid="ckpt-row"]');
  const resumePointStep = async () => Number((await page.locator('[data-testid="ckpt-row"][data-resume-point]').first().getAttribute('data-step').catch(() => null)) ?? -1);
  try {
    await openApp(page, url);
    await expect.poll(() => page.getByTestId('backend-status').textContent()).toMatch(/cpu/i);
    await dropFiles(page, [fileFrom(join(DATASETS, 'iris.csv'))]);
    await fillForm(page, { lengthUnit: 'steps', length: '300', batchSize: '16', seed: '3', ckptEverySteps: '5', ckptEverySeconds: '3600', periodicEvery: '10', keepPeriodic: '5', evalEvery: '100', logEvery: '1' });
    await page.getByRole('button', { name: 'Start training' }).click();
    const runId = await waitStatus(page, 'running');
    await expect.poll(() => liveStep(page), { timeout: 120_000, interval: 50 }).toBeGreaterThanOrEqual(32);
    await runRow(page, runId).getByRole('button', { name: 'Pause' }).click();
    await waitStatus(page, 'paused', runId);
    await runRow(page, runId).getByRole('button', { name: 'Checkpoints' }).click();
    const p10 = page.locator('[data-testid="ckpt-row"][data-kind="periodic"][data-step="10"]');
    await p10.waitFor({ timeout: 60_000 });
    await expect.poll(async () => Math.max(...(await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-step'))))))).toBeGreaterThanOrEqual(32);
    expect(await page.getByTestId('ckpt-branch').isHidden()).toBe(true);

    await p10.getByRole('button', { name: 'Resume from this checkpoint' }).click();
    await waitStatus(page, 'running', runId);
    await expect.poll(() => page.getByTestId('ckpt-branch').textContent(), { timeout: 60_000 }).toContain('Branch from step 10');
    expect(await p10.getAttribute('data-branch-point')).not.toBeNull();
    // the branch saves (a latest at step 15): then the tab goes away mid-run
    await expect.poll(resumePointStep, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(15);
    await page.reload();
    await openApp(page, url);
    await waitStatus(page, 'interrupted', runId);
    await runRow(page, runId).getByRole('button', { name: 'Checkpoints' }).click();
    await expect.poll(resumePointStep, { timeout: 60_000 }).toBeGreaterThanOrEqual(15);
    const head = await resumePointStep();
    expect(head).toBeLessThan(30);
    // the abandoned checkpoints at higher steps are still listed, and not where Resume goes
    expect(await page.locator('[data-testid="ckpt-row"][data-kind="periodic"][data-step="30"]').count()).toBe(1);
    await expect.poll(() => page.getByTestId('ckpt-branch').textContent()).toContain('Branch from step 10');

    await page.getByTestId('interrupted-banner').getByRole('button', { name: /Resume/ }).first().click();
    await waitStatus(page, 'running', runId);
    await expect.poll(() => liveStep(page), { timeout: 60_000, interval: 50 }).toBeGreaterThan(head);
    expect(await liveStep(page)).toBeLessThan(30);
  } finally {
    await a.close();
  }
});
