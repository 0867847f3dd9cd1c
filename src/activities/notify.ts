import { ApplicationFailure } from '@temporalio/common';
import type { Notify } from '../core';
import type { RunSummary } from '../core/report/summary';
import { runHttp } from './steps/http';
import { mask, maskValue, stepEnvironment } from './steps/secrets';

/**
 * Posts a run's summary to a webhook (`notify` in the plan). The URL or headers may come from the
 * worker's allowed secrets; their values are masked in any error, so they never reach the history.
 * Every secret is masked in the summary it posts too.
 * 5xx, 408 and 429 answers and network errors are retried by the workflow's policy; others are not.
 */
export async function notifyRun({ hook, summary }: { hook: Notify; summary: RunSummary }): Promise<{ status: number }> {
  const names = [...(hook.urlFrom ? [hook.urlFrom] : []), ...Object.values(hook.secretHeaders ?? {})];
  const secrets = stepEnvironment({ secrets: names });
  const values = names.map((n) => secrets[n]);
  const headers = { ...hook.headers };
  for (const [header, name] of Object.entries(hook.secretHeaders ?? {})) headers[header] = secrets[name];
  const url = hook.url ?? secrets[hook.urlFrom as string];
  try {
    // The answer is read here, not returned: whole, so its status line is there however long the body.
    const result = await runHttp(
      { type: 'http', method: 'POST', url, headers, body: { ...maskValue(summary) }, timeout: 30_000 },
      { release: 'full' },
    );
    return { status: Number(/^HTTP (\d+)/.exec(result.output)?.[1]) };
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw err;
    throw ApplicationFailure.create({
      message: `webhook: ${mask(err.message, values)}`,
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable ?? undefined,
    });
  }
}
