// Runs the real `tabtrain` bin in a child process, as a person's shell would.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encode } from 'fast-png';
import { expect } from 'vitest';
import { decodeCkpt } from '../../src/ckpt/format';
import { diffContents } from './resume-check';

export const BIN = resolve('src/cli/bin.mjs');
/** The sample datasets the repository ships (the app serves the same files): tests need nothing beside the repository. */
export const DATASETS = resolve('public/samples');

export function tabtrain(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the bin without waiting (for kill tests). */
export function tabtrainAsync(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tabtrain-test-'));
}

/** A folder of tiny PNGs in one sub-folder per class: bright top half vs bright bottom half. */
export function writeImageFolder(dir: string, perClass = 12, size = 8): string {
  const root = join(dir, 'shapes');
  for (const [ci, cls] of ['bottom', 'top'].entries()) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const data = new Uint8Array(size * size * 3);
      for (let p = 0; p < size * size; p++) {
        const top = Math.floor(p / size) < size / 2;
        const v = (ci === 1) === top ? 200 + ((i * 7 + p) % 50) : 30 + ((i * 5 + p) % 40);
        data.fill(v, p * 3, p * 3 + 3);
      }
      writeFileSync(join(root, cls, `${i}.png`), encode({ width: size, height: size, data, channels: 3, depth: 8 }));
    }
  }
  return root;
}

export function writeText(dir: string): string {
  const path = join(dir, 'tiny.txt');
  writeFileSync(path, 'to be or not to be, that is the question. '.repeat(40));
  return path;
}

/**
 * A browser-made pair (the checkpoint at step k, and the same run straight to the end) checked
 * against the CLI: `resume` from the step-k file must end on exactly the straight run's bits.
 */
export async function expectCliResumeIdentical(pair: { atK: number[]; final: number[] }, data: string, k: number): Promise<void> {
  const dir = tempDir();
  writeFileSync(join(dir, 'k.ckpt'), Uint8Array.from(pair.atK));
  const cli = tabtrain(['resume', join(dir, 'k.ckpt'), '--data', data, '--out', join(dir, 'resumed.ckpt')]);
  expect(cli.code, cli.stderr).toBe(0);
  expect(cli.stderr).toContain(`resuming at step ${k}`);
  expect(cli.stderr).not.toContain('not bit-identical');
  const fromCli = await decodeCkpt(new Uint8Array(readFileSync(join(dir, 'resumed.ckpt'))));
  const fromBrowser = await decodeCkpt(Uint8Array.from(pair.final));
  const d = diffContents(fromBrowser, fromCli);
  expect(d.tensors).toEqual([]);
  expect(d.state).toEqual([]);
  expect(fromCli.tensors.length).toBeGreaterThan(4);
}
