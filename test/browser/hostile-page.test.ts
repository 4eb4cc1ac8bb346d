// Hostile input in the page (issue 15): a CSV with 2,000 classes trains through its evaluations
// while the page keeps drawing (a k x k confusion matrix and Math.max(...matrix.flat()) threw
// "Maximum call stack size exceeded" on every frame from about 350 classes), and a file named
// with a right-to-left override is shown with the override visible, not obeyed.
import { expect, it } from 'vitest';
import { dropFiles, fillForm, openApp, runRow, waitStatus } from './app';
import { openBrowser, useServer } from './harness';

const app = useServer();

/** Two numeric columns and a label with `k` classes, two rows per class. */
function manyClasses(k: number): Uint8Array {
  const lines = ['a,b,label'];
  for (let r = 0; r < 2 * k; r++) lines.push(`${(r % 7) / 7},${(r % 13) / 13},class${r % k}`);
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

it('2,000 classes and a bidi-spoofed file name: trains to its evaluations, the page bounded and honest', async () => {
  const s = await openBrowser();
  try {
    const page = s.page;
    await openApp(page, `${app.url}/?backend=cpu`);
    const spoof = 'x\u202etxt.csv'; // would display as "xvsc.txt"
    await dropFiles(page, [{ path: spoof, bytes: manyClasses(2000) }]);
    const preview = page.getByTestId('dataset-preview');
    await expect.poll(() => preview.locator('h3').textContent(), { timeout: 60_000 }).toBe('x\\u202etxt.csv');
    expect(await preview.locator('h3 bdi').count()).toBe(1);
    // the classes table shows a bounded number of rows and says how many it leaves out
    await expect.poll(() => preview.textContent()).toMatch(/Classes \(2,000\)/);
    expect(await preview.getByTestId('more').first().textContent()).toMatch(/and 1,800 more classes/);

    await page.getByTestId('run-form').locator('[name="family"]').waitFor();
    await fillForm(page, { lengthUnit: 'steps', length: '4', evalEvery: '2', logEvery: '1', batchSize: '32' });
    await page.getByRole('button', { name: 'Start training' }).click();
    const runId = await waitStatus(page, 'finished', undefined, 180_000);
    // the run's name carries the file name: shown neutralised in the list too
    expect(await runRow(page, runId).locator('bdi.name').first().textContent()).toMatch(/x\\u202etxt\.csv$/);

    // the evaluation's confusion summary: the most frequent classes and 'other', said in a caption
    const matrix = page.getByTestId('confusion-matrix');
    await matrix.waitFor({ timeout: 60_000 });
    expect(await matrix.getAttribute('data-mode')).toBe('top');
    expect(await matrix.locator('tbody tr').count()).toBe(21);
    expect(await page.getByTestId('confusion-scope').textContent()).toMatch(/most frequent true classes of 2,000 .* counted under 'other'/);
    // and the page kept drawing: no uncaught error on any frame
    const errors = s.logs.filter((l) => l.startsWith('[pageerror]') || /Maximum call stack/.test(l));
    expect(errors).toEqual([]);
    expect(await page.getByTestId('error-banner').isHidden()).toBe(true);
  } finally {
    await s.close();
  }
});

it('on WebGPU, hidden 30000,30000 is refused from the config with the numbers, not a raw "createBuffer failed"', async () => {
  const s = await openBrowser();
  try {
    const page = s.page;
    await openApp(page, `${app.url}/?sample=iris`);
    const backend = (await page.getByTestId('backend-status').textContent()) ?? '';
    const name = /webgpu/i.test(backend) ? 'webgpu' : 'cpu';
    await expect.poll(() => page.getByTestId('dataset-preview').textContent(), { timeout: 60_000 }).toMatch(/species/);
    await page.getByTestId('run-form').locator('[name="family"]').waitFor();
    await fillForm(page, { hidden: '30000, 30000', lengthUnit: 'steps', length: '2' });
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Start training' }).click();
    const err = page.getByTestId('error-banner');
    await expect.poll(() => err.textContent(), { timeout: 60_000 }).toMatch(
      new RegExp(`model too large for the ${name} backend: layers\\.1\\.kernel \\[30000, 30000\\] would be 3\\.4 GiB, over the (1 GiB|\\d+ MiB) limit for one tensor`),
    );
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(await page.getByTestId('run-row').count()).toBe(0);
    expect(s.logs.filter((l) => /createBuffer|pageerror/.test(l))).toEqual([]);
  } finally {
    await s.close();
  }
});
