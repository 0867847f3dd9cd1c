import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, type LanguageModel } from 'ai';
import { ExitCode, PtqError } from '../errors';
import { workerEnv } from '../workerSecrets';

export const PROVIDERS = ['openai', 'anthropic', 'offline'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Which model to use. Never holds a secret: keys are read from the worker's environment only. */
export interface ModelChoice {
  provider?: Provider;
  model?: string;
  baseUrl?: string;
}

const KEY_VARS = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' } as const;
const DEFAULT_MODELS = { openai: 'gpt-4o-mini', anthropic: 'claude-sonnet-4-5' } as const;

/** Thrown when a model call fails in a way that retrying will not fix (bad key, no quota...). */
export class ModelCallError extends PtqError {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message, ExitCode.usage);
  }
}

/** Fills the choice from PTQ_PLANNER, PTQ_MODEL and PTQ_BASE_URL where flags left it open. */
export function resolveChoice(
  choice: ModelChoice,
  env = process.env,
): Required<Pick<ModelChoice, 'provider'>> & ModelChoice {
  const provider = (choice.provider ?? env.PTQ_PLANNER ?? 'offline') as Provider;
  if (!PROVIDERS.includes(provider)) {
    throw new ModelCallError(`unknown provider "${provider}": use ${PROVIDERS.join(', ')}`, false);
  }
  return { provider, model: choice.model ?? env.PTQ_MODEL, baseUrl: choice.baseUrl ?? env.PTQ_BASE_URL };
}

/**
 * A run's requester may name a provider endpoint, but the worker's API key goes wherever it
 * points. So a requested base URL must be the worker's own (`PTQ_BASE_URL`) or one it lists in
 * `PTQ_ALLOWED_BASE_URLS`; anything else is refused before a request is made.
 */
export function checkRequestedBaseUrl(baseUrl: string | undefined, env = process.env): void {
  if (baseUrl === undefined) return;
  const norm = (u: string) => u.trim().replace(/\/+$/, '');
  const allowed = [env.PTQ_BASE_URL ?? '', ...(env.PTQ_ALLOWED_BASE_URLS ?? '').split(',')].map(norm).filter(Boolean);
  if (!allowed.includes(norm(baseUrl)))
    throw new ModelCallError(
      `base URL ${baseUrl} is not allowed on this worker, which would send its API key there: list it in the worker's PTQ_ALLOWED_BASE_URLS`,
      false,
    );
}

/** The AI SDK model for a resolved choice, with the API key taken from what the worker holds. */
export function languageModel(choice: ModelChoice, env = workerEnv()): { model: LanguageModel; modelId: string } {
  const { provider, model, baseUrl } = resolveChoice(choice, env);
  if (provider === 'offline')
    throw new ModelCallError('the offline planner has no model: set --provider openai or anthropic', false);
  const keyVar = KEY_VARS[provider];
  const apiKey = env[keyVar];
  if (!apiKey)
    throw new ModelCallError(
      `${keyVar} is not set in the worker's environment: export it where \`ptq worker\` runs`,
      false,
    );
  const modelId = model ?? DEFAULT_MODELS[provider];
  if (provider === 'anthropic') return { model: createAnthropic({ apiKey, baseURL: baseUrl })(modelId), modelId };
  const openai = createOpenAICompatible({
    name: 'openai',
    apiKey,
    baseURL: baseUrl ?? 'https://api.openai.com/v1',
    supportsStructuredOutputs: true,
    includeUsage: true,
  });
  return { model: openai.chatModel(modelId), modelId };
}

/**
 * Sorts provider errors into retryable (429 rate limits, 5xx, network) and final ones (bad key,
 * no quota, unknown model), each with a message that says what to do. Never includes the key.
 */
export function classifyModelError(err: unknown, choice: ModelChoice): ModelCallError {
  if (err instanceof ModelCallError) return err;
  const provider = resolveChoice(choice).provider;
  const keyVar = provider === 'anthropic' ? KEY_VARS.anthropic : KEY_VARS.openai;
  if (APICallError.isInstance(err)) {
    const status = err.statusCode ?? 0;
    const body = (err.responseBody ?? '').slice(0, 300);
    if (status === 401 || status === 403) {
      return new ModelCallError(
        `the provider rejected the API key (HTTP ${status}): set a valid ${keyVar} in the worker's environment`,
        false,
      );
    }
    if (status === 404)
      return new ModelCallError(`model not found (HTTP 404): check --model / PTQ_MODEL (${body})`, false);
    if (/insufficient_quota|credit balance/i.test(body)) {
      return new ModelCallError(
        `the provider account has no quota left (HTTP ${status}): add credit or use another key`,
        false,
      );
    }
    if (status === 429 || status >= 500)
      return new ModelCallError(`provider busy (HTTP ${status}); Temporal will retry`, true);
    return new ModelCallError(`provider error (HTTP ${status}): ${body}`, false);
  }
  return new ModelCallError(`model call failed: ${(err as Error).message}`, true);
}
