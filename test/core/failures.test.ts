import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAILURES, failureOf, isRetried, neverRetried, type FailureInfo } from '../../src/core/failures';

const root = join(__dirname, '../..');

/** The README's table of failure types, as the table in src/core/failures.ts is written. */
function readmeTable(): Record<string, FailureInfo> {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const header = lines.findIndex((l) => cells(l).join('|') === 'type|raised when|retried');
  expect(header).toBeGreaterThan(-1);
  const rows: Record<string, FailureInfo> = {};
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [type, meaning, retried] = cells(line);
    rows[type.replace(/^`|`$/g, '')] = {
      meaning,
      retried: retried === 'yes' ? true : retried === 'no' ? false : retried,
    };
  }
  return rows;
}

/** Every TypeScript file under src, with its text. */
function sources(dir = join(root, 'src')): Array<{ file: string; text: string }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [{ file: path, text: readFileSync(path, 'utf8') }] : [];
  });
}

describe('the failure types', () => {
  it('are the README table, row for row: name, meaning and retried', () => {
    expect(readmeTable()).toEqual(FAILURES);
  });

  it('take whether they are retried from the table', () => {
    expect(failureOf('ShellExitError', 'exit code 1')).toEqual({
      type: 'ShellExitError',
      message: 'exit code 1',
      nonRetryable: false,
    });
    expect(failureOf('WorkspaceError', 'no repo').nonRetryable).toBe(true);
    expect(failureOf('HttpStatusError', '503', true).nonRetryable).toBe(false);
    expect(failureOf('HttpStatusError', '404', false).nonRetryable).toBe(true);
    expect(isRetried('TaskFailed')).toBe(false);
    expect(neverRetried('HttpBlockedAddress', 'SecretNotAllowed')).toEqual(['HttpBlockedAddress', 'SecretNotAllowed']);
  });

  it('are every type the code raises or lists as a literal, and each is raised somewhere', () => {
    const code = sources().filter((s) => !s.file.endsWith(join('core', 'failures.ts')));
    const literal = [
      /ApplicationFailure\.(?:nonRetryable|retryable)\([\s\S]*?,\s*'([A-Za-z]+)'\s*,?\s*\)/g,
      /\btype:\s*'([A-Z][A-Za-z]+)'/g,
      /nonRetryableErrorTypes:\s*\[([^\]]*)\]/g,
    ];
    const named = new Set(
      code.flatMap(({ text }) =>
        literal.flatMap((re) => [...text.matchAll(re)].flatMap((m) => m[1].match(/[A-Za-z]+/g) ?? [])),
      ),
    );
    expect([...named].filter((n) => !(n in FAILURES))).toEqual([]);
    const raised = (type: string) => code.some(({ text }) => text.includes(`'${type}'`));
    expect(Object.keys(FAILURES).filter((t) => !raised(t))).toEqual([]);
  });
});
