/**
 * A web example as its users get it, for tests and benchmarks: `vite build` into a temporary folder, `vite
 * preview` on a free port, and Debian's headless Chromium driven by playwright-core (`PIR_CHROMIUM` names
 * another binary).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { freePort } from './pg.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const vite = join(root, 'node_modules/vite/bin/vite.js');

/** Flags for headless Chromium here: no sandbox (root), nothing fetched in the background, WebGPU allowed. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];

/** Launch headless Chromium (Debian's `/usr/bin/chromium` unless `PIR_CHROMIUM` says otherwise). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.PIR_CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

function vite_(args: string[], cwd: string): Promise<void> {
  return new Promise((ok, no) => {
    const p = spawn(process.execPath, [vite, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout?.on('data', (d) => {
      text += d;
    });
    p.stderr?.on('data', (d) => {
      text += d;
    });
    p.on('exit', (code) => (code === 0 ? ok() : no(new Error(`vite ${args[0]} failed (${code}):\n${text}`))));
  });
}

/** A built example served by `vite preview`. */
export interface ServedExample {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** The build output. */
  outDir: string;
  /** Stop the server and remove the build. */
  close(): Promise<void>;
}

/**
 * Build the vite app in `exampleDir` into a temporary folder and serve it with `vite preview` (the example's
 * `vite.config.ts` applies: headers included).
 * @throws when the build fails (with vite's output) or the server does not answer within 10 s
 */
export async function buildAndServe(exampleDir: string): Promise<ServedExample> {
  const outDir = await mkdtemp(join(tmpdir(), 'pir-page-'));
  let server: ChildProcess | undefined;
  const close = async () => {
    server?.kill();
    await rm(outDir, { recursive: true, force: true });
  };
  try {
    await vite_(['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], exampleDir);
    const port = await freePort();
    server = spawn(
      process.execPath,
      [vite, 'preview', '--outDir', outDir, '--port', String(port), '--strictPort'],
      {
        cwd: exampleDir,
        stdio: 'ignore',
      },
    );
    const url = `http://127.0.0.1:${port}/`;
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(url)).ok) return { url, outDir, close };
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`vite preview did not answer on ${url}`);
  } catch (e) {
    await close();
    throw e;
  }
}
