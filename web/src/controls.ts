import { useRef, useState } from 'preact/hooks';
import { api } from './api';
import { html } from './html';

interface Ask {
  title: string;
  text: string;
  confirm: string;
  act: () => Promise<string>;
}

/**
 * Cancel, pause, resume, set concurrency and retry: the API's own routes, each asked again in a
 * dialog before it is sent. The answer is announced to screen readers.
 */
export function Controls({
  id,
  running,
  paused,
  m,
  failed,
  onDone,
}: {
  id: string;
  running: boolean;
  paused: boolean;
  m: number;
  failed: boolean;
  onDone: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [n, setN] = useState<string>(String(m));
  const [said, setSaid] = useState('');
  const open = (a: Ask) => {
    setAsk(a);
    setTimeout(() => dialog.current?.showModal());
  };
  const go = async () => {
    dialog.current?.close();
    if (!ask) return;
    try {
      setSaid(await ask.act());
      onDone();
    } catch (err) {
      setSaid(`failed: ${(err as Error).message}`);
    }
  };
  return html`<div class="controls" role="group" aria-label="run controls">
    ${
      running
        ? html` <button
              type="button"
              class="danger"
              onClick=${() => open({ title: 'Cancel this run?', text: `Running tasks of ${id} are stopped and their processes killed; finally tasks still run.`, confirm: 'Cancel run', act: async () => (await api.control(id, 'cancel')).done })}
            >
              Cancel run
            </button>
            ${
              paused
                ? html`<button
                    type="button"
                    onClick=${() => open({ title: 'Resume this run?', text: 'New tasks start again.', confirm: 'Resume', act: async () => (await api.control(id, 'resume')).done })}
                  >
                    Resume
                  </button>`
                : html`<button
                    type="button"
                    onClick=${() => open({ title: 'Pause this run?', text: 'No new task starts; running ones go on.', confirm: 'Pause', act: async () => (await api.control(id, 'pause')).done })}
                  >
                    Pause
                  </button>`
            }
            <form
              class="inline"
              onSubmit=${(e: Event) => {
                e.preventDefault();
                const value = Number(n);
                open({
                  title: `Set concurrency to ${value}?`,
                  text: `At most ${value} tasks of this run will run at once.`,
                  confirm: 'Set',
                  act: async () => (await api.concurrency(id, value)).done,
                });
              }}
            >
              <label for="m">Concurrency</label>
              <input
                id="m"
                type="number"
                min="1"
                max="10000"
                value=${n}
                onInput=${(e: Event) => setN((e.target as HTMLInputElement).value)}
              />
              <button type="submit">Set</button>
            </form>`
        : failed
          ? html`<button
              type="button"
              onClick=${() =>
                open({
                  title: 'Retry the failed tasks?',
                  text: 'A new run does the failed, cancelled and skipped tasks again and keeps the outputs of the rest.',
                  confirm: 'Retry',
                  act: async () => {
                    const r = await api.retry(id);
                    location.assign(`/ui/runs/${encodeURIComponent(r.id)}`);
                    return `started ${r.id}`;
                  },
                })}
            >
              Retry failed
            </button>`
          : null
    }
    <span class="said" role="status" aria-live="polite">${said}</span>
    <dialog ref=${dialog} aria-labelledby="ask-title">
      <form
        method="dialog"
        onSubmit=${(e: Event) => {
          e.preventDefault();
          void go();
        }}
      >
        <h2 id="ask-title">${ask?.title}</h2>
        <p>${ask?.text}</p>
        <div class="row">
          <button type="button" class="ghost" onClick=${() => dialog.current?.close()}>Keep as is</button>
          <button type="submit" class="danger" data-confirm>${ask?.confirm}</button>
        </div>
      </form>
    </dialog>
  </div>`;
}
