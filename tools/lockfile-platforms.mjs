// Adds lockfile entries for other platforms' optional native packages (@swc/core-darwin-arm64...).
//
// Why: the npm registry mirror this project is built on serves only the Linux x64/arm64 builds of
// packages with per-platform binaries, so `npm install` here writes a lockfile without the others,
// and `npm ci` (CI, the Dockerfile) then refuses it: "Missing: @swc/core-darwin-arm64@ from lock
// file". Each missing package gets an entry with its version and the os/cpu/libc its name says;
// npm skips it on every other platform and fetches it by version where it fits.
// Usage, after any `npm install`: node tools/lockfile-platforms.mjs && npm ci
import { readFileSync, writeFileSync } from 'node:fs';
import { stdout } from 'node:process';

const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony'];
const CPU = ['arm64', 'x64', 'arm', 'ppc64', 's390x', 'ia32', 'loong64', 'riscv64'];

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const packages = lock.packages;
let added = 0;
for (const entry of Object.values(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    if (packages[`node_modules/${name}`]) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((p) => OS.includes(p));
    const cpu = parts.find((p) => CPU.includes(p));
    if (!os || !cpu) continue; // not a per-platform binary package
    const libc = parts.some((p) => p.includes('musl'))
      ? 'musl'
      : parts.some((p) => p.startsWith('gnu'))
        ? 'glibc'
        : undefined;
    // Keys in the order npm writes them, so a later `npm install` leaves the file as it is.
    packages[`node_modules/${name}`] = {
      version: version.replace(/^[\^~]/, ''),
      cpu: [cpu],
      ...(libc ? { libc: [libc] } : {}),
      optional: true,
      os: [os],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
stdout.write(`lockfile: added ${added} other-platform entries\n`);
