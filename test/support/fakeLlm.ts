import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer: model text and tool calls, or an HTTP error, optionally after a delay. */
export interface FakeReply {
  /** The answer's text, or how to write it from the request (e.g. from the last tool result). */
  text?: string | ((req: SeenRequest) => string);
  /** Tool calls, in the provider's own wire format: OpenAI `tool_calls`, Anthropic `tool_use`. */
  toolCalls?: Array<{ name: string; input: unknown }>;
  status?: number;
  error?: { message: string; type?: string; code?: string };
  delayMs?: number;
}

/** A request as the fake provider received it. */
export interface SeenRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    messages?: Array<{ role: string; content: unknown }>;
    tools?: Array<{ name?: string; function?: { name: string } }>;
    [k: string]: unknown;
  };
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
  private calls = 0;

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
          const text = typeof reply.text === 'function' ? reply.text(seen) : (reply.text ?? '');
          const calls = (reply.toolCalls ?? []).map((c) => ({ ...c, id: `call_${++this.calls}` }));
          res.end(
            JSON.stringify(seen.path.endsWith('/messages') ? anthropic(seen, text, calls) : openai(seen, text, calls)),
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

/** A tool call of a scripted reply, with the id the server gave it. */
type Call = { name: string; input: unknown; id: string };

function openai(req: SeenRequest, text: string, calls: Call[]) {
  const message = calls.length
    ? {
        role: 'assistant',
        content: text || null,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: JSON.stringify(c.input) },
        })),
      }
    : { role: 'assistant', content: text };
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: req.body.model,
    choices: [{ index: 0, message, finish_reason: calls.length ? 'tool_calls' : 'stop' }],
    usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
  };
}

/** Anthropic answers structured output through a forced `json` tool when the request offers one. */
function anthropic(req: SeenRequest, text: string, calls: Call[]) {
  const viaTool = req.body.tools?.some((t) => t.name === 'json');
  const content = viaTool
    ? [{ type: 'tool_use', id: 'toolu_test', name: 'json', input: JSON.parse(text) }]
    : [
        ...(text ? [{ type: 'text', text }] : []),
        ...calls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.input })),
      ];
  return {
    id: 'msg_test',
    type: 'message',
    role: 'assistant',
    model: req.body.model,
    content,
    stop_reason: viaTool || calls.length ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 1000, output_tokens: 500 },
  };
}

/**
 * The text of the last tool result a request carries back to the model, in either wire format:
 * an OpenAI `tool` message, or an Anthropic `tool_result` block in a user message.
 */
export function lastToolResult(req: SeenRequest): string {
  for (const m of [...(req.body.messages ?? [])].reverse()) {
    if (m.role === 'tool') return typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    const block = [...(m.content as Array<{ type: string; content?: unknown }>)]
      .reverse()
      .find((b) => b.type === 'tool_result');
    if (!block) continue;
    const parts = Array.isArray(block.content) ? (block.content as Array<{ text?: string }>) : [];
    return typeof block.content === 'string' ? block.content : parts.map((p) => p.text ?? '').join('');
  }
  return '';
}
