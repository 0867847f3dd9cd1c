/**
 * Parses a task's output as JSON, for `"output": "json"`: one clear line when it is not JSON or
 * is bigger than the plan's cap (outputs that dependents read live in the run's state).
 */
export function parseJsonOutput(
  text: string,
  limit: number,
): { ok: true; value: unknown } | { ok: false; error: string } {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > limit)
    return {
      ok: false,
      error: `JSON output is ${kb(bytes)}, over the ${kb(limit)} cap (jsonOutputLimit): write big data to a file and output its path`,
    };
  const json = stripFences(text);
  try {
    return { ok: true, value: JSON.parse(json) };
  } catch (err) {
    return { ok: false, error: `output is not JSON: ${describeError(err as Error, json)}` };
  }
}

const kb = (n: number) => (n < 1024 ? `${n} bytes` : `${Math.round(n / 1024)} KB`);

/** Models often wrap JSON in Markdown fences even when asked not to. */
export function stripFences(text: string): string {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  return fenced ? fenced[1] : text;
}

/**
 * V8's message quotes the whole input and often gives no position; say what is wrong and on
 * which line instead, e.g. "Unexpected token '}' at line 3".
 */
function describeError(err: Error, text: string): string {
  const at = firstBadIndex(text);
  const what = err.message
    .split('\n')[0]
    .replace(/, ".*$/, '')
    .replace(/( in JSON)? at position \d+.*$/, '');
  if (at >= text.length) return `${what}: the output ends early`;
  return `${what} at line ${text.slice(0, at).split('\n').length}`;
}

/**
 * Index of the first character that no valid JSON could continue with. A prefix that is still
 * the start of some JSON fails only with "end of input"-like errors at its own length, and every
 * prefix of such a prefix does too, so a binary search over prefixes finds it with JSON.parse.
 */
function firstBadIndex(text: string): number {
  const viable = (n: number) => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (e) {
      const m = (e as Error).message;
      return /end of JSON input|Unterminated string/.test(m) || new RegExp(`position ${n}\\b`).test(m);
    }
  };
  let lo = 0; // viable
  let hi = text.length + 1; // not viable (or past the end)
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (viable(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
