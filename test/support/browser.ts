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

/** A Chromium process of a worker: the browser itself (`main`) or one of its helpers (renderer, zygote...). */
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
      out.push({ pid: Number(entry), main: !argv.some((a) => a.startsWith('--type=')) });
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
  }
  return out;
}
