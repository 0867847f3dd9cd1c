import { Context } from '@temporalio/activity';
import type { ToolInput } from '../../core/tools/registry';
import { browse, BrowserFailure } from '../steps/browserPage';
import { maskValue } from '../steps/secrets';
import { keepHeartbeating } from '../steps/stepResult';
import { cutText, type ToolRun } from './runners';

/**
 * The `browser` tool: the browser step's page load (the worker's pool, its address guard and
 * containment), whatever the status, so the model reads a 404 as an answer. A page that cannot be
 * loaded at all is an answer too, `{error}`, rather than a failure to retry. Heartbeats carry the
 * cancel that closes the page.
 */
export async function browserTool(input: ToolInput<'browser'>, _setting: undefined, run: ToolRun): Promise<unknown> {
  const stopHeartbeats = keepHeartbeating();
  try {
    const output = await browse(
      { url: input.url, extract: input.extract ?? { title: 'title' }, timeout: run.timeout },
      Context.current().cancellationSignal,
    );
    const text = JSON.stringify(maskValue(output));
    return text.length <= run.resultChars ? JSON.parse(text) : { cut: cutText(text, run.resultChars, 'head') };
  } catch (e) {
    if (e instanceof BrowserFailure && e.type !== 'BrowserUnavailable') return { error: e.message };
    throw e;
  } finally {
    stopHeartbeats();
  }
}
