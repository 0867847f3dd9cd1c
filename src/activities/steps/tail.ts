/** Most output a step keeps: the tail, where errors usually are. */
export const OUTPUT_CAP_BYTES = 64 * 1024;

/**
 * Keeps only the last `cap` characters of a stream, so a chatty process cannot blow up memory
 * or Temporal's payload limits.
 */
export class Tail {
  private text = '';
  constructor(private readonly cap = OUTPUT_CAP_BYTES) {}

  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.cap * 2) this.text = this.text.slice(-this.cap);
  }

  toString(): string {
    return this.text.slice(-this.cap);
  }

  /** The last non-empty line, for one-line error messages. */
  lastLine(): string {
    const lines = this.text.trimEnd().split('\n');
    return (lines[lines.length - 1] ?? '').slice(0, 300);
  }
}
