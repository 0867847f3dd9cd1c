import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { startRun, summaryOf } from '../src/client';
import { loadPlanFile } from '../src/planFile';
import { runId, withWorker } from './helpers';
import { FakeLlm, lastToolResult } from './support/fakeLlm';

/**
 * examples/sources.yaml, seed 000's example, end to end: the plan serves its own corpus, a map of
 * browser steps visits the 30 cited links, and the report is written by a command or by a model
 * (a stand-in speaking the OpenAI tool-call protocol) that re-checks a page with the browser tool.
 */
jest.setTimeout(240_000);

const sources = loadPlanFile('examples/sources.yaml');

/** A port nobody listens on, for the corpus of one run. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The map's results file, one object a link. */
function resultsOf(path: string): Array<{ ok: boolean; item: { url: string }; json?: Record<string, string> }> {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('examples/sources.yaml', () => {
  it('verifies the 30 sources offline: 22 papers with title and DOI (3 titled by their script), 4 not papers, 4 broken', async () => {
    const port = await freePort();
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, sources, {
        id: runId('sources'),
        taskQueue,
        params: { port, maxBroken: 8, model: false },
      });
      const summary = await summaryOf(handle);
      const task = (id: string) => summary.tasks.find((t) => t.id === id);
      expect(summary.status).toBe('succeeded');
      expect(task('verify')?.items).toMatchObject({ total: 30, succeeded: 26, failed: 4 });
      const results = resultsOf(task('verify')?.results as string);
      const papers = results.filter((r) => r.ok && r.json?.doi);
      expect(papers).toHaveLength(22);
      for (const p of papers) expect(p.json?.title).toMatch(/^On .+, part \d+$/);
      // Papers 3, 6 and 9 have their title, heading and DOI only once their own script ran.
      const scripted = papers.find((p) => p.item.url.endsWith('/papers/6'));
      expect(scripted?.json).toMatchObject({ title: 'On task graphs, part 6', doi: '10.5555/ptq.6' });
      expect(scripted?.json?.heading).toBe('On task graphs, part 6');
      // Redirects end on the paper they point to.
      const redirected = papers.find((p) => p.item.url.endsWith('/doi/20'));
      expect(redirected?.json).toMatchObject({ doi: '10.5555/ptq.20', finalUrl: `http://127.0.0.1:${port}/papers/20` });
      expect(task('summary')?.output).toContain('22 papers verified, 4 pages without a DOI, 4 broken links');
      expect(task('report')?.status).toBe('skipped');
      expect(task('corpus')?.status).toBe('succeeded');
      expect(task('stop-corpus')?.status).toBe('succeeded');
    });
  });

  it('stops the map once the broken links pass the threshold', async () => {
    const port = await freePort();
    await withWorker(async ({ client, taskQueue }) => {
      const handle = await startRun(client, sources, {
        id: runId('sources-stop'),
        taskQueue,
        params: { port, maxBroken: 2, model: false },
      });
      const summary = await summaryOf(handle);
      const verify = summary.tasks.find((t) => t.id === 'verify');
      expect(summary.status).toBe('succeeded');
      expect(verify?.stop).toMatch(/^until condition met/);
      // The dead links come late in the list, so most items have started by then: they finish (drain).
      expect(verify?.items?.failed).toBeGreaterThanOrEqual(2);
      expect(verify?.items?.cancelled).toBe(0);
      expect(summary.tasks.find((t) => t.id === 'summary')?.output).toMatch(/papers verified, .* broken links/);
    });
  });

  it('with a model: the report re-checks a page with the browser tool and answers from it', async () => {
    const llm = new FakeLlm();
    const base = await llm.start();
    const port = await freePort();
    const blog = `http://127.0.0.1:${port}/blog/2`;
    llm.reply(
      { toolCalls: [{ name: 'browser', input: { url: blog, extract: { title: 'title' } } }] },
      { text: (req) => `Report: 22 papers verified. Not a paper: ${JSON.parse(lastToolResult(req)).title}.` },
    );
    const env = {
      PTQ_PLANNER: 'openai',
      PTQ_BASE_URL: base,
      PTQ_MODEL: 'tool-model',
      OPENAI_API_KEY: 'sk-test-sources',
    };
    Object.assign(process.env, env);
    try {
      await withWorker(async ({ client, taskQueue }) => {
        const handle = await startRun(client, sources, {
          id: runId('sources-model'),
          taskQueue,
          params: { port, maxBroken: 8, model: true },
        });
        const summary = await summaryOf(handle);
        const report = summary.tasks.find((t) => t.id === 'report');
        expect(summary.status).toBe('succeeded');
        expect(report?.output).toContain('Not a paper: Ten tips for queues (2).');
        expect(summary.tasks.find((t) => t.id === 'summary')?.status).toBe('skipped');
        // The model saw every link's result in its prompt, and was offered both tools.
        const first = JSON.stringify(llm.requests[0].body.messages);
        expect(first).toContain('/gone/3');
        expect((llm.requests[0].body.tools ?? []).map((t) => t.function?.name)).toEqual(['browser', 'http']);
      });
    } finally {
      for (const name of Object.keys(env)) delete process.env[name];
      await llm.close();
    }
  });
});
