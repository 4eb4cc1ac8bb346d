// Every control has an accessible name and is reachable from the keyboard.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { DATASETS } from '../support/cli';
import { dropFiles, fileFrom, fillForm, openApp, runRow, waitStatus } from './app';
import { openBrowser, useServer } from './harness';

const app = useServer();

it('every control has an accessible name and can take keyboard focus; training starts from the keyboard', async () => {
  const s = await openBrowser();
  const page = s.page;
  try {
    await openApp(page, `${app.url}/?backend=cpu`);
    await dropFiles(page, [fileFrom(join(DATASETS, 'iris.csv'))]);
    await fillForm(page, { lengthUnit: 'steps', length: '6', ckptEverySteps: '2' });
    // Keyboard only: focus the start button and press Enter.
    await page.getByRole('button', { name: 'Start training' }).focus();
    await page.keyboard.press('Enter');
    const runId = await waitStatus(page, 'finished');
    await runRow(page, runId).getByRole('button', { name: 'Checkpoints' }).click();
    await page.getByTestId('ckpt-row').first().waitFor();
    await page.getByTestId('ckpt-row').first().getByRole('button', { name: 'Inspect' }).click();

    const unnamed = await page.evaluate(() => {
      const bad: string[] = [];
      const controls = document.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href], [role=button], progress');
      for (const el of controls) {
        if (el.closest('[hidden]') || (el as HTMLInputElement).type === 'hidden') continue;
        const labelled =
          (el.getAttribute('aria-label') ?? '').trim() ||
          (el.getAttribute('aria-labelledby') ?? '').trim() ||
          ((el as HTMLInputElement).labels && [...(el as HTMLInputElement).labels!].map((l) => l.textContent ?? '').join('').trim()) ||
          (['BUTTON', 'A'].includes(el.tagName) ? (el.textContent ?? '').trim() : '') ||
          (el.getAttribute('title') ?? '').trim();
        if (!labelled) bad.push(el.outerHTML.slice(0, 120));
        if (el.tabIndex < 0 && el.tagName !== 'PROGRESS') bad.push(`not focusable: ${el.outerHTML.slice(0, 120)}`);
      }
      return { bad, count: controls.length };
    });
    expect(unnamed.count).toBeGreaterThan(30);
    expect(unnamed.bad).toEqual([]);
  } finally {
    await s.close();
  }
});
