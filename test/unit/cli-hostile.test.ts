// Hostile inputs through the real `tabtrain` bin (issue 15, docs/reliability.md "Input budgets"):
// devices, FIFOs and sockets are refused by name and never read; bombs end in one clear line
// within seconds (each run has the test's timeout, far under what decoding or reading them took);
// --out never replaces the input; numbers given as options say their limit; nothing a file holds
// reaches the terminal raw. The corpus is generated here (test/support/hostile.ts).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, DATASETS, tabtrain, tempDir } from '../support/cli';
import { csv, hugePng, zerosDeflated, zipWith } from '../support/hostile';
import { printable, printableJson } from '../../src/cli/terminal';

const IRIS = join(DATASETS, 'iris.csv');
let dir: string;
let server: Server | undefined;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => server?.close());

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Exit 1 with one line naming what is wrong, no stack trace. */
function refused(r: { code: number; stderr: string }, re: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(re);
  expect(r.stderr).not.toMatch(/\n\s+at |TypeError|RangeError|ambiguous/);
  expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('tabtrain:'))).toHaveLength(1);
}

/** The bin with a hard timeout: a run that blocks (a FIFO) or reads for ever (/dev/zero) is killed and fails the test. */
function bounded(args: string[], ms = 60_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: ms, killSignal: 'SIGKILL' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const train = (data: string, ...extra: string[]) => bounded(['train', '--data', data, '--steps', '1', '--hidden', '4', '--quiet', '--out', join(dir, `o-${Math.random().toString(36).slice(2)}.ckpt`), ...extra]);

describe('--data that is not a regular file is refused by name, never read', () => {
  it('a device: /dev/zero (read until the OOM killer before)', () => {
    refused(train('/dev/zero'), /\/dev\/zero is a character device, not a regular file, so it is not read/);
  });

  it('a FIFO (blocked for ever before)', () => {
    const fifo = join(dir, 'data.csv');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    refused(train(fifo), /data\.csv is a FIFO \(named pipe\), not a regular file/);
  });

  it('a socket', async () => {
    const sock = join(dir, 'data.sock.csv');
    server = createServer();
    await new Promise<void>((ok) => server!.listen(sock, ok));
    // The server must keep serving while the child runs: spawn, not spawnSync.
    const child = spawn(process.execPath, [BIN, 'train', '--data', sock, '--steps', '1', '--out', join(dir, 's.ckpt')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number>((ok) => child.on('exit', (c) => ok(c ?? -1)));
    refused({ code, stderr }, /data\.sock\.csv is a socket, not a regular file/);
  });

  it('a FIFO inside a data folder', () => {
    const root = join(dir, 'imgs');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(root, 'b'), { recursive: true });
    writeFileSync(join(root, 'a', '1.png'), hugePng(4, 4));
    expect(spawnSync('mkfifo', [join(root, 'b', '2.png')]).status).toBe(0);
    refused(train(root), /b\/2\.png is a FIFO \(named pipe\), not a regular file, so it is not read; remove it from the folder/);
  });

  it('a broken link inside a data folder is named', () => {
    const root = join(dir, 'linked');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(root, 'b'), { recursive: true });
    writeFileSync(join(root, 'a', '1.png'), hugePng(4, 4));
    symlinkSync(join(dir, 'nowhere.png'), join(root, 'b', '2.png'));
    refused(train(root), /cannot read .*b\/2\.png in the --data folder \(ENOENT: a broken link\?\)/);
  });

  it('a file over the byte budget is refused from its size, before reading (a sparse 300 MiB file)', () => {
    const big = join(dir, 'big.csv');
    writeFileSync(big, 'a,b\n');
    truncateSync(big, 300 * 1024 * 1024);
    refused(train(big), /big\.csv is 300 MiB, over the 256 MiB limit/);
  });

  it('a checkpoint that is a device: inspect /dev/zero', () => {
    refused(bounded(['inspect', '/dev/zero']), /\/dev\/zero is a character device, not a regular file, so it is not read/);
  });

  it('a checkpoint over the checkpoint budget is refused from its size (a sparse 3 GiB file)', () => {
    const big = join(dir, 'huge.ckpt');
    writeFileSync(big, '');
    truncateSync(big, 3 * 1024 ** 3);
    refused(bounded(['inspect', big]), /huge\.ckpt is 3072 MiB, over the 2048 MiB limit for a checkpoint, so it is not read/);
  });
});

describe('bombs end in one line within seconds', () => {
  it('the 2 KB zip holding one 20000x20000 PNG (crashed the tab, OOM-killed the CLI)', () => {
    const zip = join(dir, 'pixels.zip');
    writeFileSync(zip, zipWith([{ name: 'p/a/big.png', data: hugePng(20000, 20000) }, { name: 'p/b/small.png', data: hugePng(4, 4) }].map((e) => ({ ...e, method: 0 as const }))));
    refused(train(zip), /pixels\.zip: p\/a\/big\.png: 400,000,000 pixels \(20000 x 20000\), over the limit of 16,777,216 per image; nothing was decoded/);
  });

  it('a 50000x50000 1-bit PNG', () => {
    const root = join(dir, 'onebit');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(root, 'b'), { recursive: true });
    writeFileSync(join(root, 'a', 'huge.png'), hugePng(50000, 50000, { depth: 1, colour: 0 }));
    writeFileSync(join(root, 'b', 'small.png'), hugePng(4, 4));
    refused(train(root), /huge\.png: 2,500,000,000 pixels \(50000 x 50000\), over the limit/);
  });

  it('a zip entry declaring 1,000 bytes that inflates to 16 MiB', () => {
    const zip = join(dir, 'bomb.zip');
    writeFileSync(zip, zipWith([{ name: 'x.csv', data: zerosDeflated(16), declared: 1000 }]));
    refused(train(zip), /bomb\.zip: x\.csv inflates past the 1,000 bytes its header declares/);
  });
});

describe('--out never destroys', () => {
  it('train --data iris.csv --out iris.csv is refused and the CSV untouched', () => {
    const data = join(dir, 'iris.csv');
    copyFileSync(IRIS, data);
    const before = sha(data);
    refused(bounded(['train', '--data', data, '--steps', '1', '--out', data]), /--out .*iris\.csv is the --data file/);
    refused(bounded(['train', '--data', data, '--steps', '1', '--overwrite', '--out', data]), /--out .*iris\.csv is the --data file/);
    expect(sha(data)).toBe(before);
  });

  it('a device (/dev/full) and a folder are refused before reading the data', () => {
    refused(bounded(['train', '--data', IRIS, '--steps', '1', '--overwrite', '--out', '/dev/full']), /--out \/dev\/full: \/dev\/full is not a regular file/);
    refused(bounded(['train', '--data', IRIS, '--steps', '1', '--out', dir]), /is a folder, not a file/);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true); // still the device (as root, the rename replaced it with a file)
  });
});

describe('options that are numbers say what they accept', () => {
  it('--steps -1 says positive integer, not "argument is ambiguous"', () => {
    const r = tabtrain(['train', '--data', IRIS, '--steps', '-1', '--out', join(dir, 'n.ckpt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--steps: expected a positive integer, got '-1'/);
    expect(r.stderr).not.toMatch(/ambiguous/);
  });

  it('--batch-size 1e9 names the limit', () => {
    const r = tabtrain(['train', '--data', IRIS, '--batch-size', '1e9', '--out', join(dir, 'n.ckpt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--batch-size: expected a positive integer up to 65536, got '1e9'/);
  });
});

describe('inspect on a checkpoint whose history holds nulls', () => {
  it('gives one line naming the field (it printed a TypeError)', async () => {
    const { decodeCkpt, encodeCkpt } = await import('../../src/ckpt/format');
    const good = join(dir, 'good.ckpt');
    expect(bounded(['train', '--data', IRIS, '--steps', '2', '--hidden', '4', '--quiet', '--out', good]).code).toBe(0);
    const c = await decodeCkpt(new Uint8Array(readFileSync(good)));
    const cases: [string, (h: Record<string, unknown>[]) => void, RegExp][] = [
      ['null-point', (h) => h.push(null as never), /metrics\.history\[2\]: not an object/],
      ['null-loss', (h) => (h[0]!.valLoss = null), /metrics\.history\[0\]: valLoss must be a finite number/],
    ];
    for (const [name, edit, re] of cases) {
      const state = JSON.parse(JSON.stringify(c.state)) as { metrics: { history: Record<string, unknown>[] } };
      edit(state.metrics.history);
      const path = join(dir, `${name}.ckpt`);
      writeFileSync(path, await encodeCkpt({ state, tensors: c.tensors }));
      refused(bounded(['inspect', path]), re);
    }
  });
});

describe('nothing from a file reaches the terminal raw', () => {
  it('ANSI escapes and a bidi override in column names and values are shown escaped', () => {
    const data = join(dir, 'ansi.csv');
    const rows = Array.from({ length: 30 }, (_, i) => `${i % 5},n${i},${i % 2}`);
    writeFileSync(data, csv(['\x1b[31mred\x1b[0m,\x1b]0;owned\x07name,x\u202etxt', ...rows]));
    const r = bounded(['train', '--data', data, '--steps', '1', '--hidden', '4', '--batch-size', '8', '--out', join(dir, 'ansi.ckpt')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/[\x1b\x07\u202e]/);
    expect(r.stderr).toContain('\\x1b]0;owned\\x07name');
    expect(r.stderr).toContain('x\\u202etxt');
  });

  it('a newline in a file name cannot forge a line', () => {
    const data = join(dir, 'iris\ndone: step 999.csv');
    copyFileSync(IRIS, data);
    const r = bounded(['train', '--data', data, '--steps', '1', '--hidden', '4', '--out', join(dir, 'nl.ckpt')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('iris\\ndone: step 999.csv');
    expect(r.stderr.split('\n').some((l) => l.startsWith('done: step 999'))).toBe(false);
  });

  it('in an error message naming a file', () => {
    const data = join(dir, 'bad\x1b[2Jname.csv');
    writeFileSync(data, '');
    const r = bounded(['train', '--data', data, '--steps', '1', '--out', join(dir, 'e.ckpt')]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('\x1b');
    expect(r.stderr).toContain('bad\\x1b[2Jname.csv');
  });
});

describe('printable (src/cli/terminal.ts)', () => {
  it('escapes C0, DEL, C1 (CSI 0x9b) and bidi controls; keeps text and tabs', () => {
    expect(printable('a\x1b[31mb\x07\n\r\x7f\x9b2J\u202e\u2066\tcaf\u00e9 \u{1F600}')).toBe('a\\x1b[31mb\\x07\\n\\r\\x7f\\x9b2J\\u202e\\u2066\tcaf\u00e9 \u{1F600}');
    expect(printableJson({ k: 'x\u202e\x1b' })).toBe('{\n  "k": "x\\u202e\\u001b"\n}');
    expect(JSON.parse(printableJson({ k: 'x\u202e\x1b' }))).toEqual({ k: 'x\u202e\x1b' });
  });
});
