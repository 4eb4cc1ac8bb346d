// Real Chromium (Debian's /usr/bin/chromium) with WebGPU on SwiftShader, driven by
// playwright-core, against a Vite dev server started here. The Chromium flags below are the set measured to give a working WebGPU (SwiftShader) with readback in a worker.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function startServer(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({ configFile: join(process.cwd(), 'vite.config.ts'), server: { port: 0, host: '127.0.0.1', hmr: false, watch: null },
    // No HMR: a reload in the middle of a test (a late dependency optimisation, a file touched
    // by another process) would destroy the page under test.
    logLevel: 'warn',
  });
  await server.listen();
  const addr = server.httpServer!.address();
  if (!addr || typeof addr === 'string') throw new Error('vite server has no port');
  // localhost (not 127.0.0.1 by name only) is a secure context, which navigator.gpu needs.
  return { server, url: `http://localhost:${addr.port}` };
}

/** One Vite server for a test file: started before its tests, closed after. Read `.url` in tests. */
export function useServer(): { readonly url: string } {
  let server: ViteDevServer | undefined;
  let url = '';
  beforeAll(async () => {
    ({ server, url } = await startServer());
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get url() {
      return url;
    },
  };
}

export interface BrowserSession {
  browser: Browser | null;
  context: BrowserContext;
  page: Page;
  logs: string[];
  close(): Promise<void>;
}

/**
 * A browser with its own profile directory. `extraFlags` lets a test switch WebGPU off;
 * `profileDir` lets a test keep IndexedDB across a browser restart.
 */
export async function openBrowser(opts: { webgpu?: boolean; profileDir?: string } = {}): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  const flags = opts.webgpu === false ? WEBGPU_FLAGS.filter((f) => !f.includes('webgpu')) : WEBGPU_FLAGS;
  const dir = opts.profileDir ?? mkdtempSync(join(tmpdir(), 'tabtrain-profile-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: flags });
  const page = context.pages()[0] ?? (await context.newPage());
  // SwiftShader compiles shaders for seconds and a cold Vite transforms every module on first
  // load: Playwright's 30 s default is too short for a first step here.
  page.setDefaultTimeout(120_000);
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  return {
    browser: context.browser(),
    context,
    page,
    logs,
    async close() {
      await context.close();
      if (!opts.profileDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A browser on the engine test page (test/browser/engine.html), closed with the file's server. */
export function useEnginePage(): { readonly session: BrowserSession } {
  let server: ViteDevServer | undefined;
  let session: BrowserSession | undefined;
  beforeAll(async () => {
    const s = await startServer();
    server = s.server;
    session = await openBrowser();
    await session.page.goto(`${s.url}/test/browser/engine.html`);
    await session.page.waitForFunction(() => (window as unknown as { engineReady?: boolean }).engineReady === true);
  });
  afterAll(async () => {
    await session?.close();
    await server?.close();
  });
  return {
    get session() {
      return session!;
    },
  };
}
