import type { Usage } from '../core';

/** USD per million tokens, input and output. */
export interface Price {
  input: number;
  output: number;
}

/**
 * A small table of list prices, for an estimate only. Extend or override it with the env var
 * PTQ_MODEL_PRICES='{"my-model": {"input": 0.5, "output": 1.5}}' on the worker.
 */
export const DEFAULT_PRICES: Record<string, Price> = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-codex': { input: 1.25, output: 10 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-opus-4-1': { input: 15, output: 75 },
};

/** The price table in force: defaults plus PTQ_MODEL_PRICES. */
export function prices(env = process.env): Record<string, Price> {
  if (!env.PTQ_MODEL_PRICES) return DEFAULT_PRICES;
  try {
    return { ...DEFAULT_PRICES, ...(JSON.parse(env.PTQ_MODEL_PRICES) as Record<string, Price>) };
  } catch {
    return DEFAULT_PRICES;
  }
}

/** Adds one call's tokens to a running usage record, pricing it if the model is known. */
export function addUsage(usage: Usage, model: string, inputTokens = 0, outputTokens = 0): Usage {
  const price = prices()[model];
  const cost = price ? (inputTokens * price.input + outputTokens * price.output) / 1_000_000 : null;
  return {
    calls: usage.calls + 1,
    inputTokens: usage.inputTokens + inputTokens,
    outputTokens: usage.outputTokens + outputTokens,
    costUsd: usage.costUsd === null || cost === null ? null : round(usage.costUsd + cost),
  };
}

/** A usage record before any call. */
export function noUsage(): Usage {
  return { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
