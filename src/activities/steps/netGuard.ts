import { lookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';

/**
 * Where `http` steps may not connect. Plans are code from whoever can start a run, and the worker
 * may sit in a cloud VM whose metadata endpoint hands out credentials. Link-local addresses (which
 * hold those endpoints), "this network" and the unspecified addresses are refused unless the
 * worker lists the host in `PTQ_HTTP_ALLOW_HOSTS`. Loopback and private networks stay allowed:
 * calling a local API is what http steps are for.
 *
 * The check runs in the connection's DNS lookup, so it also covers every redirect and a name that
 * resolves differently the second time (DNS rebinding).
 */
const blocked = new BlockList();
blocked.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", including 0.0.0.0
blocked.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local: AWS, GCP and Azure metadata at 169.254.169.254
blocked.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
blocked.addAddress('::', 'ipv6');
blocked.addSubnet('fe80::', 10, 'ipv6'); // link-local
blocked.addSubnet('fd00:ec2::', 32, 'ipv6'); // AWS metadata over IPv6
blocked.addSubnet('::ffff:0.0.0.0', 104, 'ipv6'); // IPv4-mapped forms of the above
blocked.addSubnet('::ffff:169.254.0.0', 112, 'ipv6');

const BLOCKED_NAMES = new Set(['metadata.google.internal', 'metadata']);

/** Thrown when an http step aims at a refused address. */
export class BlockedAddressError extends Error {
  constructor(host: string, address?: string) {
    super(
      `${host}${address && address !== host ? ` (${address})` : ''} is a link-local or cloud metadata address, which http steps may not call: list the host in the worker's PTQ_HTTP_ALLOW_HOSTS to allow it`,
    );
    this.name = 'BlockedAddressError';
  }
}

function allowedHosts(env: NodeJS.ProcessEnv): Set<string> {
  return new Set(
    (env.PTQ_HTTP_ALLOW_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** Whether a literal IP address is refused. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && blocked.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Throws BlockedAddressError for a refused host name (before any lookup). */
export function checkHost(host: string, env: NodeJS.ProcessEnv = process.env): void {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (allowedHosts(env).has(name)) return;
  if (BLOCKED_NAMES.has(name) || isBlockedAddress(name)) throw new BlockedAddressError(name);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A DNS lookup that refuses blocked addresses, for the connection itself (http steps, the browsers' proxy). */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    if (!allowedHosts(process.env).has(hostname.toLowerCase())) {
      const bad = addresses.find((a) => isBlockedAddress(a.address));
      if (bad) return callback(new BlockedAddressError(hostname, bad.address), []);
    }
    const all = (options as { all?: boolean }).all;
    if (all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}

/** The dispatcher every http step connects through. */
export const guardedAgent = new Agent({ connect: { lookup: guardedLookup } });
