import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer: model text, or an HTTP error, optionally after a delay. */
export interface FakeReply {
  text?: string;
  status?: number;
  error?: { message: string; type?: string; code?: string };
  delayMs?: number;
}

/** A request as the fake provider received it. */
export interface SeenRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: { messages?: Array<{ role: string; content: unknown }>; tools?: Array<{ name: string }>; [k: string]: unknown };
  aborted: boolean;
}

/**
 * A local HTTP server that speaks the OpenAI chat-completions and Anthropic messages wire
 * protocols, answering from a script. The real AI SDK clients talk to it over real HTTP.
 */
export class FakeLlm {
  readonly requests: SeenRequest[] = [];
  private script: FakeReply[] = [];
  private server: Server | undefined;

  /** Answers to give, in order; the last one repeats. */
  reply(...replies: FakeReply[]): this {
    this.script = replies;
    this.requests.length = 0;
    return this;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const seen: SeenRequest = {
          path: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(raw || '{}'),
          aborted: false,
        };
        this.requests.push(seen);
        const reply = this.script.length > 1 ? (this.script.shift() as FakeReply) : (this.script[0] ?? { text: '' });
        const timer = setTimeout(() => {
          if (res.destroyed) return;
          if (reply.status && reply.status >= 400) {
            res.writeHead(reply.status, { 'content-type': 'application/json' });
            return res.end(JSON.stringify({ error: reply.error ?? { message: `HTTP ${reply.status}` } }));
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify(
              seen.path.endsWith('/messages') ? anthropic(seen, reply.text ?? '') : openai(seen, reply.text ?? ''),
            ),
          );
        }, reply.delayMs ?? 0);
        // An aborted call must not keep a delayed reply (and the test process) waiting.
        res.on('close', () => {
          seen.aborted = !res.writableFinished;
          clearTimeout(timer);
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

function openai(req: SeenRequest, text: string) {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: req.body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
  };
}

/** Anthropic answers structured output through a forced `json` tool when the request offers one. */
function anthropic(req: SeenRequest, text: string) {
  const viaTool = req.body.tools?.some((t) => t.name === 'json');
  return {
    id: 'msg_test',
    type: 'message',
    role: 'assistant',
    model: req.body.model,
    content: viaTool
      ? [{ type: 'tool_use', id: 'toolu_test', name: 'json', input: JSON.parse(text) }]
      : [{ type: 'text', text }],
    stop_reason: viaTool ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 1000, output_tokens: 500 },
  };
}
