// Driving the real app as a person would: drop files on the page, fill labelled fields, click
// named buttons, reload, download checkpoints.
import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

export interface DropFile {
  path: string;
  bytes: Uint8Array;
  type?: string;
}

export function fileFrom(path: string, name?: string): DropFile {
  return { path: name ?? path.split('/').pop()!, bytes: new Uint8Array(readFileSync(path)) };
}

/** Dispatches real dragenter/dragover/drop events carrying Files, on the document body. */
export async function dropFiles(page: Page, files: DropFile[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.path, type: f.type ?? '', b64: Buffer.from(f.bytes).toString('base64') }));
  const dt = await page.evaluateHandle((items) => {
    const d = new DataTransfer();
    for (const it of items) {
      const bin = atob(it.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      d.items.add(new File([bytes], it.name, { type: it.type }));
    }
    return d;
  }, payload);
  for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('body', type, { dataTransfer: dt });
}

export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('backend-status').waitFor();
  await expect.poll(() => page.getByTestId('backend-status').textContent(), { timeout: 120_000 }).not.toMatch(/Starting/i);
}

/** Fills the run form by field name (the form's inputs carry stable `name`s). */
export async function fillForm(page: Page, values: Record<string, string>): Promise<void> {
  const form = page.getByTestId('run-form');
  await form.waitFor();
  for (const [name, value] of Object.entries(values)) {
    // Open the collapsed sections, as a person would to reach those fields (again each time:
    // the form re-renders when its defaults arrive).
    await form.evaluate((f) => f.querySelectorAll('details').forEach((d) => ((d as HTMLDetailsElement).open = true)));
    const el = form.locator(`[name="${name}"]`);
    const tag = await el.evaluate((e) => e.tagName);
    if (tag === 'SELECT') await el.selectOption(value);
    else await el.fill(value);
  }
}

export function runRow(page: Page, runId?: string) {
  return runId ? page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`) : page.getByTestId('run-row').first();
}

export async function waitStatus(page: Page, status: string, runId?: string, timeout = 300_000): Promise<string> {
  const row = runRow(page, runId);
  await expect.poll(async () => row.getAttribute('data-status'), { timeout, interval: 250 }).toBe(status);
  return (await row.getAttribute('data-run-id'))!;
}

export async function liveStep(page: Page): Promise<number> {
  const t = await page.getByTestId('live-step').textContent();
  return Number(/\d+/.exec(t ?? '')?.[0] ?? 0);
}

/** Starts the fresh run a fresh-from-weights plan offers and waits until it has finished; returns its run id. */
export async function startFreshRun(page: Page, plan: Locator, parentId: string): Promise<string> {
  await plan.getByRole('button', { name: 'Start fresh run' }).click();
  await expect.poll(() => page.getByTestId('run-row').count()).toBe(2);
  const childRow = page.locator(`[data-testid="run-row"]:not([data-run-id="${parentId}"])`);
  await expect.poll(() => childRow.getAttribute('data-status'), { timeout: 300_000 }).toBe('finished');
  return (await childRow.getAttribute('data-run-id'))!;
}

/** Opens the run's checkpoints and downloads the newest of `kind`; returns the file bytes. */
export async function downloadCheckpoint(page: Page, runId: string, kind: string): Promise<Uint8Array> {
  const row = runRow(page, runId);
  await row.getByRole('button', { name: 'Checkpoints' }).click();
  const ck = page.locator(`[data-testid="ckpt-row"][data-kind="${kind}"]`).first();
  await ck.waitFor({ timeout: 60_000 });
  // A download that never comes fails with what the page said instead: an error banner that
  // appears (or changes) after the click; one already showing (a full-disk test's) is not it.
  const said = page.getByTestId('error-banner');
  const shown = async () => ((await said.isVisible()) ? await said.textContent() : null);
  const before = await shown();
  let done = false;
  const failed = (async () => {
    for (let waited = 0; waited < 120_000 && !done; waited += 250) {
      const now = await shown();
      if (now !== null && now !== before) throw new Error(`no download: the page says ${now}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return new Promise<never>(() => undefined);
  })();
  failed.catch(() => undefined);
  const [download] = await Promise.all([Promise.race([page.waitForEvent('download'), failed]), ck.getByRole('button', { name: 'Download' }).click()]).finally(() => (done = true));
  const path = await download.path();
  return new Uint8Array(readFileSync(path));
}
