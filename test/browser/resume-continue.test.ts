// "Continue training with changes" follows the engine's resume table (engine/resume-rules.ts):
// a changed weight decay and freeze list reach the resumed run, each with its warning.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { DATASETS } from '../support/cli';
import { downloadCheckpoint, dropFiles, fileFrom, fillForm, liveStep, openApp, waitStatus } from './app';
import { openBrowser, useServer } from './harness';

const app = useServer();

it('continue with changes: weight decay and frozen parameters apply, each with a warning', async () => {
  const a = await openBrowser();
  try {
    await openApp(a.page, `${app.url}/?backend=cpu`);
    await dropFiles(a.page, [fileFrom(join(DATASETS, 'iris.csv'))]);
    await fillForm(a.page, { lengthUnit: 'steps', length: '4', batchSize: '16', seed: '3', ckptEverySteps: '2', ckptEverySeconds: '3600', evalEvery: '2', logEvery: '2' });
    await a.page.getByRole('button', { name: 'Start training' }).click();
    const runId = await waitStatus(a.page, 'finished');
    const box = a.page.getByTestId('live-view');
    await box.getByText('Continue training with changes').click();
    await box.locator('[name="resumeSteps"]').fill('8');
    await box.locator('[name="resume-weightDecay"]').fill('0.05');
    await box.locator('[name="resumeFreeze"]').fill('head.*');
    await box.getByRole('button', { name: 'Resume with these settings' }).click();
    // the run was already 'finished' before the resume: wait for the resumed steps, then the end
    await expect.poll(() => liveStep(a.page), { timeout: 120_000, interval: 100 }).toBe(8);
    await waitStatus(a.page, 'finished', runId);
    const warnings = a.page.getByRole('list', { name: 'Warnings' });
    await expect.poll(() => warnings.textContent()).toMatch(/weight decay changed from 0\.01 to 0\.05/);
    expect(await warnings.textContent()).toMatch(/frozen parameters changed from none to head\.\*/);
    const s = (await decodeCkpt(await downloadCheckpoint(a.page, runId, 'final'))).state as any;
    expect([s.step, s.config.optimizer.weightDecay, s.config.freeze]).toEqual([8, 0.05, ['head.*']]);
  } finally {
    await a.close();
  }
});
