import { html } from './html';

/**
 * The token prompt, the only thing shown without a token. The form posts to the server, which
 * keeps the token in an HttpOnly cookie and comes back to this page.
 */
export function Login() {
  const wrong = new URLSearchParams(location.search).has('login');
  // The page to come back to is read when the form is sent, so not even the address is in the DOM before.
  const back = (e: Event) =>
    (((e.currentTarget as HTMLFormElement).elements.namedItem('next') as HTMLInputElement).value = location.pathname);
  return html`<main class="login">
    <h1>ptq dashboard</h1>
    <p>This server needs its API token. Whoever holds it can start, cancel and control runs.</p>
    <form method="post" action="/ui/login" onSubmit=${back}>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
      <input type="hidden" name="next" value="/ui/" />
      <button type="submit">Open</button>
    </form>
    ${wrong ? html`<p class="error" role="alert">That token is wrong.</p>` : null}
    <p class="hint">
      Or open the page once with <code>?access_token=TOKEN</code>; it is kept in a cookie and leaves the address.
    </p>
  </main>`;
}
