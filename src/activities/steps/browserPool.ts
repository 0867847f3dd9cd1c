import { accessSync, constants as fs, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { parseDuration } from '../../core/plan/duration';
import { ExitCode, PtqError } from '../../errors';
import { startGuardProxy, type GuardProxy } from './browserGuard';
import { containment } from './containment';

/**
 * The worker's browsers: `PTQ_BROWSERS` Chromium processes (default 2), started on first use and
 * shared by every browser step on this worker, each step in a fresh context (its own cookies,
 * storage and cache). Starting Chromium costs far more than loading a local page
 * (bench/browser.ts), and each one holds a hundred MB or more, so the pool bounds both.
 *
 * Containment: Chromium starts through a small script that runs it inside the same PID namespace
 * as a shell step (containment.ts), so when the worker dies, even by kill -9, `--pdeathsig` kills
 * the namespace's holder and the kernel kills every Chromium process in it. A browser that crashes
 * or is killed leaves its slot, and the next step starts a new one; a browser idle for
 * `PTQ_BROWSER_IDLE` (default 60s) is closed, so a worker holds no Chromium between bursts.
 */

/** Flags for a headless Chromium run as root in a container: no sandbox, no background traffic. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
];

const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const DEFAULT_BROWSERS = 2;
const MAX_BROWSERS = 64;
const DEFAULT_IDLE_MS = 60_000;

/** Thrown when this worker has no Chromium to run. */
export class BrowserUnavailableError extends Error {
  constructor(readonly executable: string) {
    super(
      `no Chromium at ${executable}: install it (Debian: apt-get install chromium) or set PTQ_CHROMIUM to its path`,
    );
    this.name = 'BrowserUnavailableError';
  }
}

/** The pool's settings, from the worker's environment. */
export interface PoolSettings {
  size: number;
  executable: string;
  idleMs: number;
}

/** PTQ_BROWSERS, PTQ_CHROMIUM and PTQ_BROWSER_IDLE, checked: a bad value stops the worker at start. */
export function poolSettings(env: NodeJS.ProcessEnv = process.env): PoolSettings {
  const size = env.PTQ_BROWSERS === undefined || env.PTQ_BROWSERS === '' ? DEFAULT_BROWSERS : Number(env.PTQ_BROWSERS);
  if (!Number.isInteger(size) || size < 1 || size > MAX_BROWSERS)
    throw new PtqError(
      `PTQ_BROWSERS="${env.PTQ_BROWSERS}" is not a whole number from 1 to ${MAX_BROWSERS}`,
      ExitCode.usage,
      `unset it for ${DEFAULT_BROWSERS} browsers per worker`,
    );
  const idleMs = env.PTQ_BROWSER_IDLE ? parseDuration(env.PTQ_BROWSER_IDLE) : DEFAULT_IDLE_MS;
  if (idleMs === undefined || idleMs < 1)
    throw new PtqError(
      `PTQ_BROWSER_IDLE="${env.PTQ_BROWSER_IDLE}" is not a duration`,
      ExitCode.usage,
      'use e.g. "30s" or "5m", or unset it for 60s',
    );
  return { size, executable: env.PTQ_CHROMIUM || DEFAULT_CHROMIUM, idleMs };
}

/** One place for a browser; `active` counts the contexts open in it. */
interface Slot {
  browser?: Promise<Browser>;
  active: number;
  idle?: NodeJS.Timeout;
}

/** A fresh context in a pooled browser, and what it cost to get one. */
export interface PooledContext {
  context: BrowserContext;
  /** Milliseconds spent starting a browser for this step (0 when one was running). */
  launchMs: number;
  release(): Promise<void>;
}

/** A fixed number of browsers shared by the steps of one worker. */
export class BrowserPool {
  private readonly slots: Slot[];
  private proxy?: Promise<GuardProxy>;
  private script?: string;
  /** Browsers started so far, crashed ones' replacements included. */
  launches = 0;

  constructor(readonly settings: PoolSettings) {
    this.slots = Array.from({ length: settings.size }, () => ({ active: 0 }));
  }

  /** A fresh context in the least busy browser, started if its slot is empty. */
  async open(): Promise<PooledContext> {
    const slot = this.pick();
    slot.active++;
    clearTimeout(slot.idle);
    const started = Date.now();
    try {
      const launched = !slot.browser;
      if (!slot.browser) {
        const launching = this.launch(slot);
        slot.browser = launching;
        // A failed start leaves the slot empty, for the next step to try again.
        launching.catch(() => slot.browser === launching && (slot.browser = undefined));
      }
      const browser = await slot.browser;
      const launchMs = launched ? Date.now() - started : 0;
      const context = await browser.newContext({ serviceWorkers: 'block' });
      return { context, launchMs, release: () => this.release(slot, context) };
    } catch (e) {
      await this.release(slot);
      throw e;
    }
  }

  /** Closes every browser (a worker's end; tests and benchmarks). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.closeSlot(s)));
    void this.proxy?.then((p) => p.close());
    this.proxy = undefined;
  }

  /** An idle running browser, else an empty slot, else the running browser with the fewest contexts. */
  private pick(): Slot {
    const idle = this.slots.find((s) => s.browser && s.active === 0);
    if (idle) return idle;
    const empty = this.slots.find((s) => !s.browser);
    if (empty) return empty;
    return this.slots.reduce((a, b) => (b.active < a.active ? b : a));
  }

  private async release(slot: Slot, context?: BrowserContext): Promise<void> {
    await context?.close().catch(() => undefined);
    slot.active--;
    if (slot.active === 0 && slot.browser) {
      slot.idle = setTimeout(() => void this.closeSlot(slot), this.settings.idleMs);
      slot.idle.unref();
    }
  }

  private async closeSlot(slot: Slot): Promise<void> {
    clearTimeout(slot.idle);
    const browser = slot.browser;
    slot.browser = undefined;
    await browser?.then((b) => b.close()).catch(() => undefined);
  }

  private async launch(slot: Slot): Promise<Browser> {
    try {
      accessSync(this.settings.executable, fs.X_OK);
    } catch {
      throw new BrowserUnavailableError(this.settings.executable);
    }
    this.proxy ??= startGuardProxy();
    const proxy = await this.proxy;
    this.launches++;
    const browser = await chromium.launch({
      executablePath: this.contained(),
      args: CHROMIUM_ARGS,
      // Playwright adds `--proxy-bypass-list=<-loopback>`: without it Chromium would connect to
      // loopback and link-local addresses itself, past the guard.
      proxy: { server: proxy.address },
      env: browserEnv(),
      // The worker handles its own signals (a graceful shutdown); the namespace handles its death.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    const current = slot.browser;
    browser.on('disconnected', () => {
      if (slot.browser === current) slot.browser = undefined;
    });
    return browser;
  }

  /**
   * The script playwright starts as "Chromium": Chromium under the worker's containment prefix,
   * below a shell that stays PID 1 of the namespace. Playwright's pipe (fds 3 and 4) and its process
   * group go through unchanged.
   */
  private contained(): string {
    if (this.script) return this.script;
    const c = containment();
    const prefix = c.kind === 'pid-namespace' ? [...c.prefix, '/bin/sh', '-c', '"$@"; exit $?', 'ptq-browser'] : [];
    const argv = [...prefix, this.settings.executable].map(quote).join(' ');
    this.script = join(mkdtempSync(join(tmpdir(), 'ptq-browser-')), 'chromium');
    writeFileSync(this.script, `#!/bin/sh\nexec ${argv} "$@"\n`, { mode: 0o755 });
    return this.script;
  }
}

/** Chromium gets a clean environment, like a shell step: none of the worker's variables. */
function browserEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])));
}

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

let pool: BrowserPool | undefined;

/** This worker's pool, made on first use. */
export function browserPool(): BrowserPool {
  pool ??= new BrowserPool(poolSettings());
  return pool;
}

/** One line for the worker's start: the pool, or why browser steps will fail here. */
export function describeBrowserPool(settings: PoolSettings = poolSettings()): string {
  try {
    accessSync(settings.executable, fs.X_OK);
  } catch {
    return `browser steps: ${new BrowserUnavailableError(settings.executable).message}`;
  }
  const idle = settings.idleMs >= 1000 ? `${settings.idleMs / 1000}s` : `${settings.idleMs}ms`;
  return `browser steps: a pool of ${settings.size} Chromium (${settings.executable}), started on first use, closed after ${idle} idle`;
}
