import { render } from 'preact';
import { useState } from 'preact/hooks';
import { Login } from './auth';
import { html } from './html';
import { PlanPage } from './planPage';
import { RunPage } from './runPage';
import { RunsPage } from './runsPage';

type Theme = 'light' | 'dark' | 'auto';

/** The saved colour scheme; "auto" follows the system. */
function applyTheme(theme: Theme): void {
  if (theme === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  localStorage.setItem('ptq-theme', theme);
}

function Header({ onLogout }: { onLogout: boolean }) {
  const [theme, setTheme] = useState<Theme>((localStorage.getItem('ptq-theme') as Theme) ?? 'auto');
  const next: Record<Theme, Theme> = { auto: 'light', light: 'dark', dark: 'auto' };
  const here = location.pathname;
  return html`<header class="top">
    <a class="brand" href="/ui/">ptq</a>
    <nav aria-label="pages">
      <a href="/ui/" aria-current=${here === '/ui/' ? 'page' : undefined}>Runs</a>
      <a href="/ui/plan" aria-current=${here === '/ui/plan' ? 'page' : undefined}>Check a plan</a>
    </nav>
    <span class="spacer"></span>
    <button
      type="button"
      class="ghost"
      onClick=${() => {
        applyTheme(next[theme]);
        setTheme(next[theme]);
      }}
      title="colour scheme: light, dark, or as the system"
    >
      Theme: ${theme}
    </button>
    ${
      onLogout
        ? html`<form method="post" action="/ui/logout"><button class="ghost" type="submit">Forget token</button></form>`
        : null
    }
  </header>`;
}

/** Picks the page from the address: /ui/, /ui/runs/{id}, /ui/plan. */
function App() {
  const [authorized, setAuthorized] = useState<boolean | null>(null);
  const path = location.pathname;
  const unauthorized = () => setAuthorized(false);
  const ok = () => setAuthorized((a) => a ?? true);
  let page;
  if (authorized === false) page = html`<${Login} />`;
  else if (path.startsWith('/ui/runs/'))
    page = html`<${RunPage}
      id=${decodeURIComponent(path.slice('/ui/runs/'.length))}
      onUnauthorized=${unauthorized}
      onAuthorized=${ok}
    />`;
  else if (path === '/ui/plan') page = html`<${PlanPage} onUnauthorized=${unauthorized} onAuthorized=${ok} />`;
  else page = html`<${RunsPage} onUnauthorized=${unauthorized} onAuthorized=${ok} />`;
  return html`<${Header} onLogout=${authorized === true} />${page}`;
}

applyTheme((localStorage.getItem('ptq-theme') as Theme) ?? 'auto');
render(html`<${App} />`, document.getElementById('app')!);
