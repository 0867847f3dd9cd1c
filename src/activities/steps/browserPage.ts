import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { BrowserStep } from '../../core';
import { formatDuration } from '../../core/plan/duration';
import type { FailureType } from '../../core/failures';
import { dataRoot } from '../map/mapFiles';
import { BLOCKED_HEADER, blockedReason } from './browserGuard';
import { extractFields } from './browserExtract';
import { browserPool, BrowserUnavailableError, type BrowserPool } from './browserPool';

/** What one page load needs: a browser step with its templates resolved, or a `browser` tool call. */
export type BrowserSpec = Pick<BrowserStep, 'url' | 'waitFor' | 'extract' | 'screenshot' | 'timeout'>;

/** Milliseconds a page may take (load, `waitFor`, extract) when the step sets no `timeout`. */
export const DEFAULT_BROWSER_TIMEOUT_MS = 30_000;

/** A browser step's JSON output: the extracted fields, then what every load reports. */
export interface BrowserOutput {
  [field: string]: unknown;
  /** The status of the main document, after redirects. */
  status: number;
  finalUrl: string;
  timings: { launchMs: number; loadMs: number; waitMs: number; extractMs: number; totalMs: number };
  /** The PNG's path, under PTQ_DATA_DIR, when `screenshot` was asked for. */
  screenshot?: string;
  /** Subresources refused as link-local or metadata addresses; absent when none. */
  blocked?: string[];
}

/** The failures a page load raises itself; a non-2xx status is left to the caller (see `browse`). */
export type BrowserFailureType = Extract<
  FailureType,
  'BrowserError' | 'BrowserTimeout' | 'BrowserBlocked' | 'BrowserExtractError' | 'BrowserUnavailable'
>;

/** Thrown when a page cannot be loaded or read; `type` is its row in the failure table. */
export class BrowserFailure extends Error {
  constructor(
    message: string,
    readonly type: BrowserFailureType,
  ) {
    super(message);
    this.name = 'BrowserFailure';
  }
}

const LOAD_STATES = ['load', 'domcontentloaded', 'networkidle'] as const;
type LoadState = (typeof LOAD_STATES)[number];

/**
 * Loads one page in a fresh context of the worker's pool and reads it: the code of the browser
 * step and of the llm steps' `browser` tool. Whatever the status, it returns the output (a tool
 * hands a 404 to the model); the step fails a non-2xx itself. `signal` closes the page at once:
 * the promise then rejects with the signal's reason. Other failures are BrowserFailure.
 */
export async function browse(
  spec: BrowserSpec,
  signal: AbortSignal,
  pool: BrowserPool = browserPool(),
): Promise<BrowserOutput> {
  const started = Date.now();
  const url = spec.url;
  if (!/^https?:\/\//i.test(url))
    throw new BrowserFailure(`only http and https pages can be loaded, not ${url}`, 'BrowserError');
  const refused = await blockedReason(url);
  if (refused) throw new BrowserFailure(refused, 'BrowserBlocked');
  signal.throwIfAborted();
  const pooled = await pool.open().catch((e: Error) => {
    if (e instanceof BrowserUnavailableError) throw new BrowserFailure(e.message, 'BrowserUnavailable');
    throw new BrowserFailure(`Chromium did not start: ${firstLine(e.message)}`, 'BrowserError');
  });
  const timeoutMs = spec.timeout ?? DEFAULT_BROWSER_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const stop = AbortSignal.any([signal, deadline]);
  // Closing the context closes its page: whatever the step awaits fails at once.
  const close = () => void pooled.context.close().catch(() => undefined);
  stop.addEventListener('abort', close, { once: true });
  let phase = `loading ${url}`;
  let lastNavigation = url;
  const blocked: string[] = [];
  try {
    if (stop.aborted) close();
    const page = await pooled.context.newPage();
    page.on('request', (r) => {
      if (r.isNavigationRequest() && r.frame() === page.mainFrame()) lastNavigation = r.url();
    });
    page.on('response', (r) => r.headers()[BLOCKED_HEADER] && blocked.push(r.url()));
    page.on(
      'requestfailed',
      (r) => /TUNNEL_CONNECTION_FAILED/.test(r.failure()?.errorText ?? '') && blocked.push(r.url()),
    );
    const loadStart = Date.now();
    const waitUntil = (LOAD_STATES as readonly string[]).includes(spec.waitFor ?? '')
      ? (spec.waitFor as LoadState)
      : 'load';
    const response = await page.goto(url, { waitUntil, timeout: 0 });
    const mainBlocked = response?.headers()[BLOCKED_HEADER];
    if (mainBlocked) throw new BrowserFailure(mainBlocked, 'BrowserBlocked');
    if (!response) throw new BrowserFailure(`${url} gave no response`, 'BrowserError');
    const waitStart = Date.now();
    if (spec.waitFor && waitUntil !== spec.waitFor) {
      phase = `waiting for ${spec.waitFor} on ${page.url()}`;
      await page.waitForSelector(spec.waitFor, { state: 'attached', timeout: 0 });
    }
    const extractStart = Date.now();
    phase = `extracting from ${page.url()}`;
    const extracted = await extractFields(page, spec.extract ?? {}, response.status());
    if ('bad' in extracted)
      throw new BrowserFailure(
        `extract.${extracted.bad}: ${JSON.stringify(spec.extract?.[extracted.bad])} is not a valid CSS selector`,
        'BrowserExtractError',
      );
    const screenshot = spec.screenshot ? await saveScreenshot(page) : undefined;
    const refusedUrls = blocked.length ? await reallyBlocked(blocked) : [];
    const done = Date.now();
    return {
      ...extracted.values,
      status: response.status(),
      finalUrl: page.url(),
      timings: {
        launchMs: pooled.launchMs,
        loadMs: waitStart - loadStart,
        waitMs: extractStart - waitStart,
        extractMs: done - extractStart,
        totalMs: done - started,
      },
      ...(screenshot ? { screenshot } : {}),
      ...(refusedUrls.length ? { blocked: refusedUrls } : {}),
    };
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    if (e instanceof BrowserFailure) throw e;
    if (deadline.aborted)
      throw new BrowserFailure(`timed out after ${formatDuration(timeoutMs)} ${phase}`, 'BrowserTimeout');
    const navigationBlocked =
      /TUNNEL_CONNECTION_FAILED/.test((e as Error).message) && (await blockedReason(lastNavigation));
    if (navigationBlocked) throw new BrowserFailure(navigationBlocked, 'BrowserBlocked');
    throw new BrowserFailure(`${phase} failed: ${firstLine((e as Error).message)}`, 'BrowserError');
  } finally {
    stop.removeEventListener('abort', close);
    await pooled.release();
  }
}

/** The refused tunnels that were refused for their address (not a server that was down). */
async function reallyBlocked(urls: string[]): Promise<string[]> {
  const reasons = await Promise.all(urls.map(async (u) => (await blockedReason(u)) !== undefined));
  return urls.filter((_, i) => reasons[i]);
}

/** A PNG of the viewport under PTQ_DATA_DIR/screenshots, named so no two steps share one. */
async function saveScreenshot(page: Page): Promise<string> {
  const dir = join(dataRoot(), 'screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${new Date().toISOString().slice(0, 10)}-${randomUUID()}.png`);
  await page.screenshot({ path });
  return path;
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
