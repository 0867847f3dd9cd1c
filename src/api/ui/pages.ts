import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { sameToken } from '../tokens';

/** The cookie that carries the token for the dashboard's pages and their API calls. */
export const UI_COOKIE = 'ptq_token';

/** Where `npm run build` puts the bundle; the same from src/ (tests, tsx) and from dist/. */
const ASSETS = join(__dirname, '..', '..', '..', 'dist', 'web');
const TYPES: Record<string, string> = { 'app.js': 'text/javascript', 'app.css': 'text/css' };
const DAY_S = 24 * 3600;

/**
 * The page shell: no run data, only the bundle, which asks the API for everything with the cookie.
 * Without a valid cookie those calls get 401 and the page shows the token prompt instead.
 */
const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>ptq</title>
<link rel="stylesheet" href="/ui/assets/app.css">
<script defer src="/ui/assets/app.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

/** No script but the bundle, no other origin: a run's outputs shown on the page cannot run code. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The dashboard's pages under /ui, on the API's port. The token comes once, as `?access_token=`
 * or from the prompt's form, and is kept in an HttpOnly, SameSite=Strict cookie that the bearer
 * check of the API accepts (see app.ts); the page's script never sees it.
 */
export function addUiPages(app: OpenAPIHono, token: string): void {
  const cache = new Map<string, string>();
  app.get('/ui', (c) => c.redirect('/ui/', 302));
  app.get('/ui/assets/:file', (c) => {
    const file = c.req.param('file');
    const type = TYPES[file];
    if (!type) return c.json({ error: `no asset "${file}"` }, 404);
    let text = cache.get(file);
    if (text === undefined) {
      try {
        text = readFileSync(join(ASSETS, file), 'utf8');
      } catch {
        return c.json({ error: 'the dashboard is not built: run `npm run build`' }, 500);
      }
      cache.set(file, text);
    }
    return c.body(text, 200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-cache' });
  });
  app.post('/ui/login', async (c) => {
    const form = await c.req.parseBody();
    const given = typeof form.token === 'string' ? form.token.trim() : '';
    const next = safeNext(typeof form.next === 'string' ? form.next : '/ui/');
    if (!given || !sameToken(given, token))
      return c.redirect(`${next}${next.includes('?') ? '&' : '?'}login=wrong`, 303);
    keep(c, given);
    return c.redirect(next, 303);
  });
  app.post('/ui/logout', (c) => {
    deleteCookie(c, UI_COOKIE, { path: '/' });
    return c.redirect('/ui/', 303);
  });
  for (const path of ['/ui/', '/ui/plan', '/ui/runs/:id{.+}'])
    app.get(path, (c) => {
      const given = c.req.query('access_token');
      if (given !== undefined) {
        // The token leaves the address at once, so it is not kept in history or shown on screen.
        if (sameToken(given, token)) keep(c, given);
        const url = new URL(c.req.url);
        url.searchParams.delete('access_token');
        if (!sameToken(given, token)) url.searchParams.set('login', 'wrong');
        return c.redirect(`${url.pathname}${url.search}`, 303);
      }
      return c.html(SHELL, 200, { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' });
    });
}

/** The token of a request's dashboard cookie, if any. */
export function cookieToken(c: Context): string | undefined {
  return getCookie(c, UI_COOKIE);
}

function keep(c: Context, value: string): void {
  setCookie(c, UI_COOKIE, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'Strict',
    secure: new URL(c.req.url).protocol === 'https:',
    maxAge: 30 * DAY_S,
  });
}

/** Only a page of the dashboard itself is a place to go after the login: never another site. */
function safeNext(next: string): string {
  return /^\/ui\/[^/\\]?/.test(next) && !next.startsWith('//') ? next : '/ui/';
}
