// A scripted fake of the Anthropic Messages API on loopback, for driving the real Claude Code CLI offline
// (ANTHROPIC_BASE_URL=http://127.0.0.1:PORT). A test plays the model: `decide` gets each request's
// messages and answers with text or a tool call, streamed as Server-Sent Events the way the API does
// (message_start, content_block_start/delta/stop with text_delta or input_json_delta, message_delta
// with stop_reason, message_stop), or as one JSON message when the client asks for `stream: false`.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ContentBlock = { type: string; text?: string; content?: unknown; is_error?: boolean; tool_use_id?: string; id?: string; name?: string; input?: unknown };
export type ApiMessage = { role: string; content: string | ContentBlock[] };
export type ApiRequest = { model: string; messages: ApiMessage[]; tools?: Array<{ name: string }>; stream?: boolean; system?: unknown };
export type ModelReply = { kind: 'text'; text: string } | { kind: 'tool'; id: string; name: string; input: Record<string, unknown> };

export type FakeApi = { url: string; requests: ApiRequest[]; close: () => Promise<void> };

export async function startFakeAnthropic(decide: (request: ApiRequest) => ModelReply): Promise<FakeApi> {
  const requests: ApiRequest[] = [];
  let counter = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'POST' || path !== '/v1/messages') {
        res.writeHead(path === '/v1/messages/count_tokens' ? 200 : 404, { 'content-type': 'application/json' });
        res.end(path === '/v1/messages/count_tokens' ? '{"input_tokens":100}' : '{"type":"error","error":{"type":"not_found_error","message":"not here"}}');
        return;
      }
      const request = JSON.parse(body) as ApiRequest;
      requests.push(request);
      // Side requests without tools (titles, summaries) get a plain answer; the agent loop gets the script.
      const reply = request.tools?.some((t) => t.name === 'Bash') ? decide(request) : { kind: 'text' as const, text: 'ok' };
      const id = `msg_fake_${++counter}`;
      const block = reply.kind === 'text' ? { type: 'text', text: reply.text } : { type: 'tool_use', id: reply.id, name: reply.name, input: reply.input };
      const stopReason = reply.kind === 'text' ? 'end_turn' : 'tool_use';
      const usage = { input_tokens: 1000, output_tokens: 50, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
      if (request.stream === false) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id, type: 'message', role: 'assistant', model: request.model, content: [block], stop_reason: stopReason, stop_sequence: null, usage }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const send = (event: string, data: object): void => {
        res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
      };
      send('message_start', { message: { id, type: 'message', role: 'assistant', model: request.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
      if (reply.kind === 'text') {
        send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
        send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: reply.text } });
      } else {
        send('content_block_start', { index: 0, content_block: { type: 'tool_use', id: reply.id, name: reply.name, input: {} } });
        send('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify(reply.input) } });
      }
      send('content_block_stop', { index: 0 });
      send('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 50 } });
      send('message_stop', {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The text of a message's content, tool results included. */
export function textOf(message: ApiMessage | undefined): string {
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((block) => block.text ?? (typeof block.content === 'string' ? block.content : JSON.stringify(block.content ?? ''))).join('\n');
}

/** The tool_result blocks of the last user message. */
export function lastToolResults(request: ApiRequest): ContentBlock[] {
  const last = [...request.messages].reverse().find((m) => m.role === 'user');
  return typeof last?.content === 'string' ? [] : (last?.content ?? []).filter((b) => b.type === 'tool_result');
}
