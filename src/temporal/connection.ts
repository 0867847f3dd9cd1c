import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import { ExitCode, PtqError } from '../errors';
import { workerEnv } from '../workerSecrets';

/**
 * Where the Temporal server is and how to authenticate. The same settings work for the local dev
 * server, a docker-compose cluster and Temporal Cloud; only the values change.
 */
export interface ConnectionSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: TLSConfig | boolean;
  /** gRPC headers from the profile (`grpc_meta`). */
  metadata?: Record<string, string>;
}

/** Overrides from CLI flags; anything unset falls back to the environment, then the profile. */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  /** A profile of the `temporal` CLI's config file (default: TEMPORAL_PROFILE, else "default"). */
  profile?: string;
}

/**
 * The settings, in order of precedence: flags; ptq's TEMPORAL_TLS_CERT/KEY/CA file paths; the
 * `temporal` CLI's own environment variables and config file profile (TEMPORAL_CONFIG_FILE, default
 * ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE), read by Temporal's envconfig package, so
 * one setting serves both tools; then the local dev server's defaults.
 */
export function connectionSettings(flags: ConnectionFlags = {}, env = workerEnv()): ConnectionSettings {
  const profile = loadProfile(flags.profile, env);
  const cert = flags.tlsCert ?? env.TEMPORAL_TLS_CERT;
  const key = flags.tlsKey ?? env.TEMPORAL_TLS_KEY;
  const ca = flags.tlsCa ?? env.TEMPORAL_TLS_CA;
  const apiKey = flags.apiKey ?? profile.apiKey;
  let tls: ConnectionSettings['tls'];
  if (cert && key) {
    tls = {
      clientCertPair: { crt: readFileSync(cert), key: readFileSync(key) },
      serverRootCACertificate: ca ? readFileSync(ca) : undefined,
    };
  } else if (ca) {
    tls = { serverRootCACertificate: readFileSync(ca) };
  } else if (profile.tls) {
    tls = toClientOptions({ ...profile, address: profile.address ?? 'unused' }).connectionOptions.tls ?? undefined;
  } else if (apiKey) {
    tls = true; // Temporal Cloud API keys require TLS.
  }
  return {
    address: flags.address ?? profile.address ?? '127.0.0.1:7233',
    namespace: flags.namespace ?? profile.namespace ?? 'default',
    apiKey,
    tls,
    ...(profile.grpcMeta && Object.keys(profile.grpcMeta).length ? { metadata: profile.grpcMeta } : {}),
  };
}

/** The profile, or one clear line (exit 2) when the file or the profile named is not right. */
function loadProfile(name: string | undefined, env: NodeJS.ProcessEnv): ClientConfigProfile {
  try {
    const overrideEnvVars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => !!e[1]));
    return loadClientConfigProfile({ profile: name, overrideEnvVars });
  } catch (err) {
    const which = name ?? env.TEMPORAL_PROFILE;
    throw new PtqError(
      `cannot read the Temporal connection profile${which ? ` "${which}"` : ''}: ${(err as Error).message}`,
      ExitCode.usage,
      'see `temporal config list`, or give --address',
    );
  }
}
