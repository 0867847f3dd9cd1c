import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The flags this machine's Chromium needs: no sandbox as root, and no background network calls. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's headless Chromium (`.ci/run` installs it). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A Chromium process of a worker: a browser itself (`main`) or one of its helpers (renderer, zygote...). */
export interface ChromiumProcess {
  pid: number;
  main: boolean;
}

/**
 * The live Chromium processes started by a worker whose TMPDIR is `tmp`: every one inherits it, and
 * keeps it after the worker died and its processes were handed to init. Found in /proc, so they
 * are counted in whatever PID namespace they run.
 */
export function chromiumProcesses(tmp: string): ChromiumProcess[] {
  const out: ChromiumProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readlinkSync(`/proc/${entry}/exe`).endsWith('/chromium')) continue;
      if (/^State:\s+Z/m.test(readFileSync(`/proc/${entry}/status`, 'utf8'))) continue;
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`TMPDIR=${tmp}`)) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      // A helper is briefly a copy of the browser, between its fork and its exec: its parent tells.
      const main = !argv.some((a) => a.startsWith('--type=')) && !isChromium(parentOf(Number(entry)));
      out.push({ pid: Number(entry), main });
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
  }
  return out;
}

function isChromium(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`).endsWith('/chromium');
  } catch {
    return false;
  }
}

function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
}
