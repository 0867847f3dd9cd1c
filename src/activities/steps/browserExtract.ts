import type { Page } from 'playwright-core';

/**
 * What a browser step's `extract` asks for. `title`, `status` and `url` are the page's; anything
 * else is a CSS selector whose first match's text is taken, or `selector@attr` for an attribute,
 * and a trailing `[]` takes every match as a list. A missing element is `null` (or `[]`).
 */
export type ExtractSpec =
  { kind: 'page'; what: 'title' | 'status' | 'url' } | { kind: 'css'; selector: string; attr?: string; all: boolean };

/**
 * Reads `[name, {selector, attr, all}]` pairs in the page. Plain JavaScript in a string: a compiled
 * function would carry its transpiler's helpers (`__name`...), which the page does not have.
 */
const READ_IN_PAGE = `(queries) => {
  const valueOf = (el, attr) => (attr === undefined ? (el.innerText ?? el.textContent ?? '').trim() : el.getAttribute(attr));
  const values = {};
  for (const [name, q] of queries) {
    try {
      if (q.all) values[name] = Array.from(document.querySelectorAll(q.selector), (el) => valueOf(el, q.attr));
      else {
        const el = document.querySelector(q.selector);
        values[name] = el ? valueOf(el, q.attr) : null;
      }
    } catch {
      return { bad: name };
    }
  }
  return { values, title: document.title };
}`;

const PAGE_FIELDS = ['title', 'status', 'url'] as const;

/** Reads one `extract` value. */
export function parseExtract(text: string): ExtractSpec {
  const trimmed = text.trim();
  if ((PAGE_FIELDS as readonly string[]).includes(trimmed))
    return { kind: 'page', what: trimmed as (typeof PAGE_FIELDS)[number] };
  const all = trimmed.endsWith('[]');
  const body = all ? trimmed.slice(0, -2) : trimmed;
  // The attribute is after the last "@", when what follows is an attribute name (not part of CSS).
  const at = /^(.+)@([A-Za-z_:][-\w:.]*)$/.exec(body);
  return at ? { kind: 'css', selector: at[1], attr: at[2], all } : { kind: 'css', selector: body, all };
}

/** The fields, read from the page in one round trip (title included); `bad` names a selector the page cannot parse. */
export async function extractFields(
  page: Page,
  fields: Record<string, string>,
  status: number,
): Promise<{ values: Record<string, unknown> } | { bad: string }> {
  const specs = Object.entries(fields).map(([name, text]) => [name, parseExtract(text)] as const);
  const css = specs.filter((s): s is readonly [string, Extract<ExtractSpec, { kind: 'css' }>] => s[1].kind === 'css');
  const read = (await page.evaluate(`(${READ_IN_PAGE})(${JSON.stringify(css)})`)) as
    { values: Record<string, unknown>; title: string } | { bad: string };
  if ('bad' in read) return { bad: read.bad };
  const values: Record<string, unknown> = {};
  for (const [name, spec] of specs) {
    if (spec.kind === 'css') values[name] = read.values[name];
    else if (spec.what === 'title') values[name] = read.title;
    else values[name] = spec.what === 'status' ? status : page.url();
  }
  return { values };
}
