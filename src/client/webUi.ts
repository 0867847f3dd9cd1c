import type { Client } from '@temporalio/client';

/**
 * Links to runs in the Temporal Web UI. `ptq dev` records its UI's address in the namespace's
 * data on the server it started (or that it has none, with --headless), so every command and the
 * HTTP API that talks to that server links to the right port, or prints no link at all, without
 * an environment variable to copy. `PTQ_UI_URL` still wins where it is set (a real cluster's UI);
 * a server nobody recorded anything on gets the dev server's default.
 */

/** The namespace data key `ptq dev` records its Web UI under. */
export const WEB_UI_KEY = 'ptq.webUi';
/** What `ptq dev --headless` records: there is no Web UI to link to. */
const NO_WEB_UI = 'off';
const DEFAULT_WEB_UI = 'http://localhost:8233';

/** Records on the server where its Web UI is, or (undefined) that it has none. */
export async function recordWebUi(client: Client, uiUrl: string | undefined): Promise<void> {
  await client.workflowService.updateNamespace({
    namespace: client.options.namespace,
    updateInfo: { data: { [WEB_UI_KEY]: uiUrl ?? NO_WEB_UI } },
  });
}

const known = new WeakMap<Client, Promise<string | undefined>>();

/** The base address of the Web UI for this client's server, or undefined when it has none. Asked once per client. */
export function webUiOf(client: Client): Promise<string | undefined> {
  const fromEnv = process.env.PTQ_UI_URL;
  if (fromEnv) return Promise.resolve(fromEnv);
  let base = known.get(client);
  if (!base) {
    base = recordedWebUi(client);
    known.set(client, base);
  }
  return base;
}

async function recordedWebUi(client: Client): Promise<string | undefined> {
  const described = await client.workflowService
    .describeNamespace({ namespace: client.options.namespace })
    .catch(() => undefined);
  const recorded = described?.namespaceInfo?.data?.[WEB_UI_KEY];
  if (recorded === undefined) return DEFAULT_WEB_UI;
  return recorded === NO_WEB_UI ? undefined : recorded;
}

/** The run's page in the Web UI, or undefined when the server has no Web UI: the one place links are made. */
export async function runLink(client: Client, id: string): Promise<string | undefined> {
  const base = await webUiOf(client);
  if (!base) return undefined;
  const namespace = encodeURIComponent(client.options.namespace);
  return `${base.replace(/\/$/, '')}/namespaces/${namespace}/workflows/${encodeURIComponent(id)}`;
}
