// Issue 11 end to end in the page: drop a text, train, drop the same text with new characters,
// start fresh with the known rows frozen, see the report (what changed, rows partly loaded), and
// try the model with a prompt.
import { expect, it } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { downloadCheckpoint, dropFiles, fillForm, openApp, runRow, startFreshRun, waitStatus } from './app';
import { openBrowser, useServer } from './harness';

const app = useServer();
const TEXT = 'to be or not to be, that is the question. '.repeat(30);
const FORM = { lengthUnit: 'steps', length: '6', batchSize: '8', seed: '7', contextLength: '8', dModel: '8', numHeads: '1', numLayers: '1', ckptEverySteps: '3', ckptEverySeconds: '3600', evalEvery: '3', logEvery: '1' };

it('text with new characters: fresh with known rows frozen, the report, then try the model with a prompt', async () => {
  const s = await openBrowser();
  const page = s.page;
  try {
    await openApp(page, app.url);
    await dropFiles(page, [{ path: 'play.txt', bytes: new TextEncoder().encode(TEXT) }]);
    await fillForm(page, FORM);
    await page.getByRole('button', { name: 'Start training' }).click();
    const parentId = await waitStatus(page, 'finished');
    await dropFiles(page, [{ path: 'play2.txt', bytes: new TextEncoder().encode(TEXT + 'WHETHER TIS NOBLER; '.repeat(10)) }]);
    await expect.poll(() => page.getByTestId('dataset-preview').textContent()).toMatch(/vocabulary/i);
    await runRow(page, parentId).getByRole('button', { name: 'Checkpoints' }).click();
    const final = page.locator('[data-testid="ckpt-row"][data-kind="final"]').first();
    await final.getByRole('button', { name: 'Start fresh from these weights' }).click();
    const plan = page.getByTestId('fresh-plan');
    await expect.poll(() => plan.textContent(), { timeout: 60_000 }).toMatch(/tok_emb/);
    const text = (await plan.textContent())!;
    expect(text).toMatch(/What changed: the text is \d+ characters longer \(\d+ -> \d+\); 12 characters added to the vocabulary/);
    expect(text).toMatch(/Partly loaded.*model\.tok_emb: 15 of 27 characters loaded/);
    await plan.getByTestId('freeze-known').check();
    const childId = await startFreshRun(page, plan, parentId);
    const child = await decodeCkpt(await downloadCheckpoint(page, childId, 'final'));
    const parent = await decodeCkpt(await downloadCheckpoint(page, parentId, 'final'));
    const st = child.state as { config: { freezeRows?: Record<string, unknown> } };
    expect(Object.keys(st.config.freezeRows ?? {})).toEqual(['tok_emb', 'head.kernel', 'head.bias']);
    // 'a' keeps its parent row bit for bit
    const vocab = (c: typeof child) => ((c.state as { dataset: { schema: { vocabulary: number[] } } }).dataset.schema.vocabulary);
    const row = (c: typeof child, ch: string) => {
      const t = c.tensors.find((x) => x.name === 'model.tok_emb')!;
      const i = vocab(c).indexOf(ch.codePointAt(0)!);
      return Array.from(t.data.subarray(i * t.shape[1]!, (i + 1) * t.shape[1]!));
    };
    expect(row(child, 'a')).toEqual(row(parent, 'a'));
    // try the child with a prompt
    await runRow(page, childId).getByRole('button', { name: 'Checkpoints' }).click();
    const childFinal = page.locator('[data-testid="ckpt-row"][data-kind="final"]').first();
    await childFinal.getByRole('button', { name: 'Try the model' }).click();
    const panel = page.getByTestId('try-model');
    await panel.locator('[name="prompt"]').fill('WHETHER ');
    await panel.locator('[name="length"]').fill('12');
    await panel.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(async () => (await panel.getByTestId('try-output').textContent().catch(() => ''))?.length ?? 0, { timeout: 60_000 }).toBe(12);
  } finally {
    await s.close();
  }
}, 600_000);
