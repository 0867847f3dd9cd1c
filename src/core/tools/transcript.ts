/*
 * The transcript of an llm step with tools, as the workflow keeps it and hands it to each model
 * turn: plain JSON of ptq's own, so a recorded history reads the same whatever the AI SDK's
 * message types become. The step's system and prompt are not in it: each turn resolves them
 * from the step.
 */

/** A tool call the model asked for. */
export interface ToolCall {
  id: string;
  tool: string;
  input: unknown;
}

/** What a tool call gave back (masked and cut by its activity), or why it failed. */
export interface ToolOutcome {
  id: string;
  tool: string;
  output: unknown;
  error?: boolean;
}

/** One message after the prompt. */
export type Turn =
  | { role: 'assistant'; text: string; calls: ToolCall[] }
  | { role: 'tool'; results: ToolOutcome[] }
  | { role: 'user'; text: string };

/**
 * Most characters of transcript one model turn is given. Each turn's input is recorded in the
 * history, so a long loop would otherwise pass Temporal's 512 KB payload warning and fill the
 * history; the oldest tool results give way first.
 */
export const TRANSCRIPT_CHARS = 200_000;

const CUT = '[cut: an older tool result, left out to keep the transcript small]';

/** The transcript within `max` characters as JSON: the oldest tool results are replaced by a note until it fits. */
export function fitTranscript(turns: Turn[], max = TRANSCRIPT_CHARS): Turn[] {
  let size = JSON.stringify(turns).length;
  if (size <= max) return turns;
  const out = turns.map((t) => (t.role === 'tool' ? { ...t, results: [...t.results] } : t));
  for (const turn of out) {
    if (turn.role !== 'tool') continue;
    for (let i = 0; i < turn.results.length && size > max; i++) {
      const before = JSON.stringify(turn.results[i].output ?? null).length;
      turn.results[i] = { ...turn.results[i], output: CUT };
      size -= before - JSON.stringify(CUT).length;
    }
    if (size <= max) break;
  }
  return out;
}

/** A turn in a few lines, for an error that must say what the model did last. */
export function describeTurn(turn: Turn | undefined, max = 600): string {
  if (!turn) return 'no turn';
  const text =
    turn.role === 'assistant'
      ? [turn.text.trim(), ...turn.calls.map((c) => `calls ${c.tool} ${JSON.stringify(c.input)}`)]
          .filter(Boolean)
          .join('; ')
      : turn.role === 'tool'
        ? turn.results.map((r) => `${r.tool} → ${JSON.stringify(r.output)}`).join('; ')
        : turn.text;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text || '(empty answer)';
}

/** Most tool calls one turn may make; the model is told so for the others, which do not run. */
export const MAX_CALLS_PER_TURN = 16;
