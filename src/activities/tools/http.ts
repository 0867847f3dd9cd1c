import type { ToolInput } from '../../core/tools/registry';
import { sendRequest } from '../steps/http';
import { mask } from '../steps/secrets';
import { cutText, type ToolRun } from './runners';

/**
 * The `http` tool: the http step's request (same address guard, redirects and body cap), whatever
 * the status, as `{status, body}`. The body's head is kept (a page's title and text come first),
 * masked before it is cut.
 */
export async function httpTool(input: ToolInput<'http'>, _setting: undefined, run: ToolRun): Promise<unknown> {
  const { status, body } = await sendRequest({
    url: input.url,
    method: input.method ?? 'GET',
    headers: input.headers,
    body: input.body,
    timeout: run.timeout,
  });
  return { status, body: cutText(mask(body), run.resultChars, 'head') };
}
