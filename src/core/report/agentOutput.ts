/**
 * What an agent CLI reports when it ends, read from its stdout. Pure, so the formats are tested
 * without the CLIs:
 * - `claude -p --output-format json` prints one JSON object: `result`, `is_error`, `subtype`,
 *   `num_turns`, `total_cost_usd` and `usage` (input, output and cache tokens);
 * - `codex exec --json` prints JSON lines: `item.completed` (the agent's messages),
 *   `turn.completed` with `usage`, and `turn.failed` or `error` when it gives up. It reports no
 *   cost, so the caller prices the tokens;
 * - `text`: the output is the answer; nothing is known of its cost.
 */
export type AgentOutputFormat = 'claude-json' | 'codex-jsonl' | 'text';

export interface AgentReport {
  /** The agent's final answer. */
  text: string;
  /** Set when the agent says it failed (is_error, turn.failed), with its reason. */
  error?: string;
  turns?: number;
  inputTokens: number;
  outputTokens: number;
  /** What the agent says it cost; undefined when it does not say (codex, text). */
  costUsd?: number;
}

/** Reads the agent's stdout; undefined when it holds no report in the expected format. */
export function readAgentOutput(format: AgentOutputFormat, stdout: string): AgentReport | undefined {
  switch (format) {
    case 'claude-json':
      return readClaude(stdout);
    case 'codex-jsonl':
      return readCodex(stdout);
    case 'text':
      return { text: stdout.trim(), inputTokens: 0, outputTokens: 0 };
  }
}

function readClaude(stdout: string): AgentReport | undefined {
  // One object, but tolerate log lines before it: the last line that is a result object wins.
  const candidates = [stdout.trim(), ...stdout.trim().split('\n').reverse()];
  for (const text of candidates) {
    const value = parseObject(text);
    if (!value || !('result' in value || 'is_error' in value || value.type === 'result')) continue;
    const usage = (value.usage ?? {}) as Record<string, unknown>;
    const failed = value.is_error === true || (typeof value.subtype === 'string' && value.subtype.startsWith('error'));
    return {
      text: typeof value.result === 'string' ? value.result : '',
      error: failed
        ? `${String(value.subtype ?? 'error')}${typeof value.result === 'string' && value.result ? `: ${value.result}` : ''}`
        : undefined,
      turns: num(value.num_turns),
      inputTokens:
        num(usage.input_tokens) + num(usage.cache_creation_input_tokens) + num(usage.cache_read_input_tokens),
      outputTokens: num(usage.output_tokens),
      costUsd: typeof value.total_cost_usd === 'number' ? value.total_cost_usd : undefined,
    };
  }
  return undefined;
}

function readCodex(stdout: string): AgentReport | undefined {
  let seen = false;
  const report: AgentReport = { text: '', inputTokens: 0, outputTokens: 0, turns: 0 };
  for (const line of stdout.split('\n')) {
    const event = parseObject(line.trim());
    if (!event || typeof event.type !== 'string') continue;
    seen = true;
    const item = event.item as Record<string, unknown> | undefined;
    if (event.type === 'item.completed' && item?.type === 'agent_message' && typeof item.text === 'string')
      report.text = item.text;
    if (event.type === 'turn.completed') {
      const usage = (event.usage ?? {}) as Record<string, unknown>;
      report.inputTokens += num(usage.input_tokens);
      report.outputTokens += num(usage.output_tokens);
      report.turns = (report.turns ?? 0) + 1;
    }
    if (event.type === 'turn.failed' || event.type === 'error') {
      const error = (event.error ?? event) as Record<string, unknown>;
      report.error = typeof error.message === 'string' ? error.message : event.type;
    }
  }
  return seen ? report : undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
