import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';

/**
 * Where the Temporal server is and how to authenticate. The same settings work for the local dev
 * server, a docker-compose cluster and Temporal Cloud; only the values change.
 */
export interface ConnectionSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: TLSConfig | boolean;
}

/** Overrides from CLI flags; anything unset falls back to the environment. */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

/** Reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and TEMPORAL_TLS_* (file paths). */
export function connectionSettings(flags: ConnectionFlags = {}, env = process.env): ConnectionSettings {
  const cert = flags.tlsCert ?? env.TEMPORAL_TLS_CERT;
  const key = flags.tlsKey ?? env.TEMPORAL_TLS_KEY;
  const ca = flags.tlsCa ?? env.TEMPORAL_TLS_CA;
  const apiKey = flags.apiKey ?? env.TEMPORAL_API_KEY;
  let tls: ConnectionSettings['tls'];
  if (cert && key) {
    tls = {
      clientCertPair: { crt: readFileSync(cert), key: readFileSync(key) },
      serverRootCACertificate: ca ? readFileSync(ca) : undefined,
    };
  } else if (ca) {
    tls = { serverRootCACertificate: readFileSync(ca) };
  } else if (apiKey) {
    tls = true; // Temporal Cloud API keys require TLS.
  }
  return {
    address: flags.address ?? env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: flags.namespace ?? env.TEMPORAL_NAMESPACE ?? 'default',
    apiKey,
    tls,
  };
}
