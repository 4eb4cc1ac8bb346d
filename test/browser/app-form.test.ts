// The run form. It offers what the registries hold, with nothing written for it in src/ui: the image
// sample offers both image families, picking ResNet shows its own settings, Lion is in the
// optimizer select with its own defaults, and a run trained that way stores a checkpoint with
// batch-norm buffers and Lion's slots.
import { expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { downloadCheckpoint, fillForm, openApp, waitStatus } from './app';
import { openBrowser, useServer } from './harness';

const app = useServer();

it('the shapes sample offers CNN and ResNet; a ResNet + Lion run trains and checkpoints its buffers', async () => {
  const s = await openBrowser();
  try {
    const page = s.page;
    await openApp(page, `${app.url}/?backend=cpu&sample=shapes`);
    await expect.poll(() => page.getByTestId('dataset-preview').textContent(), { timeout: 60_000 }).toMatch(/image/i);
    const form = page.getByTestId('run-form');
    const family = form.locator('[name="family"]');
    await family.waitFor();
    expect(await family.locator('option').allTextContents()).toEqual(['CNN (images)', 'ResNet (images, batch norm)']);
    // the CNN's own settings now; ResNet's appear when it is picked (the form reloads its defaults)
    expect(await form.locator('[name="blocks"]').count()).toBe(0);
    await family.selectOption('resnet');
    await form.locator('[name="blocks"]').waitFor();
    await expect.poll(() => form.getByLabel('Channels per stage').inputValue()).toBe('8, 16');
    expect(await form.locator('[name="optimizer"] option').allTextContents()).toContain('Lion');
    await fillForm(page, { optimizer: 'lion' });
    // Lion brings its own (smaller) learning rate
    await expect.poll(() => form.locator('[name="lr"]').inputValue()).toBe('0.001');
    await fillForm(page, { filters: '4, 6', blocks: '1', lengthUnit: 'steps', length: '4', batchSize: '8', ckptEverySteps: '2', ckptEverySeconds: '3600', evalEvery: '2', logEvery: '1' });
    await page.getByRole('button', { name: 'Start training' }).click();
    const runId = await waitStatus(page, 'finished');
    const c = await decodeCkpt(await downloadCheckpoint(page, runId, 'final'));
    const st = c.state as any;
    expect(st.config.model).toMatchObject({ family: 'resnet', filters: [4, 6], blocks: 1 });
    expect(st.config.optimizer.kind).toBe('lion');
    const names = c.tensors.map((t) => t.name);
    expect(names).toContain('model.stem.bn.mean');
    expect(names).toContain('model.stages.1.0.proj_bn.var');
    expect(names).toContain('optim.stem.bn.gamma.m');
    expect(names.some((n) => n.startsWith('optim.stem.bn.mean'))).toBe(false);
  } finally {
    await s.close();
  }
});

it('a validation share outside the one limit is refused with the limit, not replaced by the default', async () => {
  const s = await openBrowser();
  try {
    const page = s.page;
    await openApp(page, `${app.url}/?backend=cpu&sample=iris`);
    await expect.poll(() => page.getByTestId('dataset-preview').textContent(), { timeout: 60_000 }).toMatch(/species/);
    await page.getByTestId('run-form').locator('[name="family"]').waitFor();
    await page.locator('[name="valFraction"]').fill('1.5');
    await fillForm(page, { lengthUnit: 'steps', length: '3' });
    await page.getByRole('button', { name: 'Start training' }).click();
    const err = page.getByTestId('error-banner');
    await expect.poll(() => err.textContent(), { timeout: 60_000 }).toMatch(/validation fraction must be in \[0, 0\.5\], got 1\.5/);
    expect(await page.getByTestId('run-row').count()).toBe(0);
  } finally {
    await s.close();
  }
});
