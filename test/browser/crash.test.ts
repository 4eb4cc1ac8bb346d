// Crashes during checkpoint writes, against real IndexedDB in Debian's Chromium. A worker saves
// real .ckpt files (7 MiB each) for one run as fast as it can: a latest every step, a periodic
// every 3rd (keepPeriodic 2), a best every 4th. Each trial kills it at a seeded random moment
// inside or right after a save, by reloading the page (page.reload()), by worker.terminate() from
// the page, by closing the whole browser and reopening the same profile, or by crashing it (SIGKILL
// to every process of that browser, which this test started). Then a fresh worker
// checks that every listed checkpoint loads and decodes to the step, kind and id it claims, that
// no partial checkpoint is stored (raw keys: metadata and bytes come in pairs), that retention
// holds, and that nothing committed before the kill was lost.
//
// Mutation check: TABTRAIN_CRASH_MUTANT=split-meta-first (or split-bytes-first) makes the writer
// save metadata and bytes in two transactions (crash-page.ts splitSave); this test must then fail.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ViteDevServer } from 'vite';
import type { Page } from 'playwright-core';
import { Rng } from '../../src/engine/rng';
import { openBrowser, startServer, type BrowserSession } from './harness';
import { KEEP_PERIODIC, type CrashPageApi, type Progress, type SaveMode, type Verdict } from './crash-page';

const DB = 'crash';
const RUN = 'run-1';
const MODE = (process.env.TABTRAIN_CRASH_MUTANT ?? 'atomic') as SaveMode;
type Kill = 'reload' | 'terminate' | 'close' | 'crash';
/** 56 trials in a seeded order: page reloads, worker terminations, browser closes and crashes. */
const KILLS: Record<Kill, number> = { reload: 22, terminate: 22, close: 6, crash: 6 };

let server: ViteDevServer;
let url: string;
let session: BrowserSession;
const profileDir = mkdtempSync(join(tmpdir(), 'tabtrain-crash-profile-'));

type Api = CrashPageApi;
function call<K extends keyof Api>(page: Page, method: K, ...args: Parameters<Api[K]>): Promise<Awaited<ReturnType<Api[K]>>> {
  return page.evaluate(([m, a]) => (window as any).crash[m](...a), [method, args] as [string, unknown[]]) as any;
}

async function openPage(page: Page) {
  await page.goto(`${url}/test/browser/crash.html`);
  await page.waitForFunction(() => (window as any).crashReady === true);
}

async function openSession() {
  session = await openBrowser({ webgpu: false, profileDir });
  await openPage(session.page);
}

/**
 * SIGKILLs every process of the browser this test launched (found by its own profile directory
 * on the command line), as a crash or the OOM killer would: no shutdown, no flush by Chromium.
 */
function crashBrowser(): number {
  const mine = `--user-data-dir=${profileDir}`;
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if (!argv.includes(mine)) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed++;
    } catch {
      // exited meanwhile
    }
  }
  return killed;
}

beforeAll(async () => {
  const s = await startServer();
  server = s.server;
  url = s.url;
  await openSession();
});

afterAll(async () => {
  if (session) console.log(session.logs.slice(-20).join('\n'));
  await session?.close();
  await server?.close();
  rmSync(profileDir, { recursive: true, force: true });
});

function shuffled<T>(xs: T[], rng: Rng): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const LIMITS = { latest: 1, periodic: KEEP_PERIODIC, best: 1, final: 0 } as const;

/** How far the stored counts exceed retention: [kind, excess] for each kind over its limit. */
const overLimits = (v: Verdict) => (Object.keys(LIMITS) as (keyof typeof LIMITS)[]).filter((k) => v.counts[k] > LIMITS[k]).map((k) => [k, v.counts[k] - LIMITS[k]] as const);

it(`${Object.values(KILLS).reduce((a, b) => a + b)} kills at random moments during checkpoint writes never leave a partial or lost checkpoint (${MODE} saves)`, async () => {
  const started = Date.now();
  const rng = Rng.fromSeed(2027);
  const plan = shuffled((Object.entries(KILLS) as [Kill, number][]).flatMap(([kill, n]) => Array<Kill>(n).fill(kill)), rng);
  let typical = 60; // ms a store save takes; measured again from every trial
  let everSaved = false;
  let newestEver = -1;
  const stats = { inFlight: 0, inFlightCommitted: 0, inFlightLost: 0, retentionPending: 0 };
  const log: string[] = [];

  for (const [trial, kill] of plan.entries()) {
    // Which save of this writer to hit (the 1st is the first after a restart), and how long after
    // it started: over the time a save takes, and a little past it.
    const k = 1 + rng.nextInt(4);
    const delay = Math.round(rng.nextFloat() * typical * 1.3);
    const page = session.page;
    await call(page, 'startWriter', DB, RUN, `t${trial}`, MODE);
    let at: Progress;
    if (kill === 'terminate') {
      at = await call(page, 'terminateAfter', k, delay);
    } else {
      at = await call(page, 'afterSave', k, delay);
      if (kill === 'reload') {
        await page.reload();
        await page.waitForFunction(() => (window as any).crashReady === true);
      } else {
        if (kill === 'crash') expect(crashBrowser()).toBeGreaterThan(0);
        await session.close().catch(() => {}); // the profile directory stays
        await openSession();
      }
    }
    expect(at.error, `trial ${trial}: the writer failed`).toBeNull();
    if (at.durations.length) typical = median(at.durations);
    if (at.done > 0) everSaved = true;

    const v = await call(session.page, 'verify', DB, RUN);
    const newest = v.listed[0];
    const inFlight = at.inFlight ? (v.listed.some((m) => m.id === at.inFlight!.id) ? 'committed' : 'lost') : '-';
    const line = `trial ${trial} ${kill} save#${k}+${delay}ms: in flight ${at.inFlight?.id ?? '-'} ${inFlight}; listed ${v.listed.map((m) => `${m.kind}@${m.step}`).join(' ')}`;
    log.push(line);
    const ctx = `${line}\n${v.problems.join('\n')}`;

    // Every listed checkpoint loads and decodes to what it claims; nothing partial is stored.
    expect(v.problems, ctx).toEqual([]);
    // Never nothing once a save completed, and never older than the newest committed save.
    if (everSaved) expect(newest, ctx).toBeDefined();
    if (newest) {
      expect(newest.step, ctx).toBeGreaterThanOrEqual(Math.max(at.maxDoneStep, newestEver));
      newestEver = newest.step;
    }
    // Retention: 1 latest, <= 2 periodic, 1 best. A kill between a save's commit and its
    // retention transaction leaves one extra checkpoint (docs/storage.md), removed by the next save.
    const over = overLimits(v);
    expect(over.length <= 1 && over.every(([, n]) => n === 1), ctx).toBe(true);
    if (over.length) stats.retentionPending++;
    if (at.inFlight) {
      stats.inFlight++;
      if (inFlight === 'committed') stats.inFlightCommitted++;
      else stats.inFlightLost++;
    }
  }

  // One more complete step after the last kill: retention is exact again.
  await call(session.page, 'startWriter', DB, RUN, 'final', MODE, 1);
  const end = await call(session.page, 'verify', DB, RUN);
  expect(end.problems).toEqual([]);
  expect(end.counts.latest).toBe(1);
  expect(overLimits(end)).toEqual([]);

  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`${log.join('\n')}\n${plan.length} kills in ${seconds} s (typical save ${typical.toFixed(0)} ms): ${stats.inFlight} with a save in flight ` +
    `(${stats.inFlightCommitted} committed anyway, ${stats.inFlightLost} rolled back), ${stats.retentionPending} left retention for the next save; newest step ${newestEver}`);
  // The kills did land inside writes: many with a save in flight, some of them rolled back.
  expect(stats.inFlight).toBeGreaterThanOrEqual(plan.length / 3);
  expect(stats.inFlightLost).toBeGreaterThan(0);
  expect(newestEver).toBeGreaterThan(plan.length / 2);
}, 300_000);
