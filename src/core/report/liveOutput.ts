/**
 * A running step's output as it reports it in each heartbeat: the tail of what it wrote so far,
 * stdout and stderr in the order they came, and how many characters came in all. `ptq logs -f`
 * prints what lies past the offset it printed up to.
 */
export interface LiveOutput {
  task: string;
  /** Characters written so far; `tail` ends here. */
  offset: number;
  tail: string;
}

/** How much of a running step's output each heartbeat carries: the server keeps the last one. */
export const LIVE_TAIL_CHARS = 4_000;

/** The step's output so far, kept as a bounded tail with its running length. */
export class OutputLog {
  private text = '';
  private written = 0;

  push(chunk: string): void {
    this.written += chunk.length;
    this.text = (this.text + chunk).slice(-LIVE_TAIL_CHARS);
  }

  snapshot(task: string): LiveOutput {
    return { task, offset: this.written, tail: this.text };
  }
}

/** The text of `live` past `printed` characters (what was already lost from the tail is skipped). */
export function unseen(live: LiveOutput, printed: number): string {
  const fresh = live.offset - printed;
  if (fresh <= 0) return '';
  return live.tail.slice(Math.max(0, live.tail.length - fresh));
}

/**
 * The lines of a task's final output that were not printed live. The final output keeps stdout
 * and stderr apart ("[stderr]" between them) while the live one interleaves them, so lines are
 * matched as a multiset: each printed line is crossed off once, and the rest is what is new.
 */
export function notYetPrinted(final: string, printedLines: string[]): string[] {
  const left = new Map<string, number>();
  for (const l of printedLines) left.set(l, (left.get(l) ?? 0) + 1);
  const out: string[] = [];
  const lines = final.split('\n');
  // "out\n" + "\n[stderr]\n" + err: the marker and the blank line before it are not output.
  const at = lines.indexOf('[stderr]');
  if (at >= 0) {
    const blank = at > 0 && lines[at - 1] === '';
    lines.splice(blank ? at - 1 : at, blank ? 2 : 1);
  }
  for (const line of lines) {
    const n = left.get(line) ?? 0;
    if (n > 0) left.set(line, n - 1);
    else out.push(line);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

/** Splits streamed text into whole lines, keeping an unfinished last line for the next chunk. */
export class LineBuffer {
  private partial = '';

  push(text: string): string[] {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    return lines;
  }

  /** The unfinished line, once its stream has ended. */
  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest ? [rest] : [];
  }
}
