import type { ItemResult } from './map';

/** What a map's model check sees: the question, the counts and the latest results. */
export interface ModelCheck {
  prompt: string;
  model?: string;
  counts: { done: number; total: number; succeeded: number; failed: number };
  latest: ItemResult[];
}

/**
 * `until: {llm: ...}`'s question to the model: the plan's prompt, the counts and the latest results,
 * asking for one word. The same question whether the model answers at once (askModelToStop) or
 * with tools first (the loop in the workflow).
 */
export function stopQuestion(check: ModelCheck): string {
  const { done, total, succeeded, failed } = check.counts;
  const latest = check.latest.map(({ index, item, ok, json, output, error }) =>
    JSON.stringify({ index, item, ok, json, output: output.slice(-200), error }),
  );
  return [
    check.prompt,
    '',
    `Progress: ${done} of ${total} items done, ${succeeded} succeeded, ${failed} failed.`,
    'Latest results, one JSON per line:',
    ...latest,
    '',
    'Should the work stop now? Answer with one word: yes or no.',
  ].join('\n');
}

/** Only a plain "yes" stops a map: an unclear answer never ends work early. */
export function saysStop(answer: string): boolean {
  return /^yes\b/i.test(answer);
}
