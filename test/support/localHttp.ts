import { startLoadServer, type LoadServer } from './loadServer';

/** Lets the http steps of the calling describe block's tests reach 127.0.0.1, which ptq refuses unless PTQ_HTTP_ALLOW_HOSTS names it. */
export function allowLocalHttp(): void {
  beforeAll(() => {
    process.env.PTQ_HTTP_ALLOW_HOSTS = '127.0.0.1';
  });
  afterAll(() => {
    delete process.env.PTQ_HTTP_ALLOW_HOSTS;
  });
}

/**
 * A LoadServer for the tests of the calling describe block: started before them and closed after,
 * with their http steps allowed to reach it. Its `base` and `served` are there once the tests run.
 */
export function useLoadServer(delayMs: (inFlight: number, path: string) => number): LoadServer {
  const server: LoadServer = { base: '', served: [], close: () => Promise.resolve() };
  allowLocalHttp();
  beforeAll(async () => Object.assign(server, await startLoadServer(delayMs)));
  afterAll(() => server.close());
  return server;
}
