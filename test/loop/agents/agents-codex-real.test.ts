// The real Codex CLI through the codex adapter, offline: a fake of the OpenAI Responses API on loopback
// (a custom model provider in a temp CODEX_HOME) plays the model: one exec_command tool call, then a
// final message carrying the result JSON. It proves the adapter's command line starts the real CLI, the
// tool runs in the worktree under the workspace-write sandbox, and the JSONL stream, the session id and
// the last-message result are read as the adapter expects. Skipped when the CLI is absent (install:
// `npm install --prefix /tmp/codex-cli @openai/codex@0.169.0`, or set CODEX_BIN).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codexAgent } from '../../../loop/agents/codex.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

const BINARY = process.env.CODEX_BIN ?? '/tmp/codex-cli/node_modules/.bin/codex';
const present = existsSync(BINARY);
if (!present) console.warn(`agents-codex-real: skipped, no Codex CLI at ${BINARY} (set CODEX_BIN)`);

const RESULT = { status: 'complete', summary: 'wrote work.txt', evidence: 'cat work.txt: work', discovered: [], cost_usd: 0 };

type ResponsesRequest = { input: Array<{ type: string; output?: string }> };

describe.skipIf(!present)('the real Codex CLI through the codex adapter', () => {
  it('runs a tool in the worktree and ends with the result taken from the last message', async () => {
    const requests: ResponsesRequest[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (req.method !== 'POST') return void res.writeHead(404).end();
        const request = JSON.parse(body) as ResponsesRequest;
        requests.push(request);
        const answered = request.input.some((item) => item.type === 'function_call_output');
        const item = answered
          ? { type: 'message', role: 'assistant', id: 'msg_1', content: [{ type: 'output_text', text: `Done.\n\`\`\`json\n${JSON.stringify(RESULT)}\n\`\`\`` }] }
          : { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'exec_command', arguments: JSON.stringify({ cmd: 'echo work > work.txt' }) };
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const send = (type: string, data: object): void => void res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
        send('response.created', { response: { id: 'resp_1' } });
        send('response.output_item.done', { item });
        send('response.completed', { response: { id: 'resp_1', usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 } } });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const dir = tempDir('nightshift-codex-real-');
      const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'hello\n' });
      const worktree = join(dir, 'wt');
      await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/T-1', worktree);
      const codexHome = join(dir, 'codex-home');
      mkdirSync(codexHome);
      writeFileSync(join(codexHome, 'config.toml'), `model_provider = "fake"\n\n[model_providers.fake]\nname = "fake"\nbase_url = "http://127.0.0.1:${port}/v1"\nwire_api = "responses"\nenv_key = "OPENAI_API_KEY"\n`);
      const passDir = join(dir, 'state', 'passes', 'T-1', '1');
      mkdirSync(passDir, { recursive: true });
      writeFileSync(join(passDir, 'prompt.md'), 'Do ticket T-1: add work.txt.');

      const outcome = await codexAgent('codex:gpt-5', BINARY).run({
        role: 'worker', ticket: 'T-1', pass: 1, cwd: worktree,
        promptFile: join(passDir, 'prompt.md'), resultFile: join(passDir, 'result.json'), logFile: join(passDir, 'agent.log'),
        env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: join(dir, 'home'), CODEX_HOME: codexHome, OPENAI_API_KEY: 'sk-fake-key-for-loopback' },
        extraEnv: { NIGHTSHIFT_JOURNAL_FILE: join(dir, 'state', 'journal', 'T-1.md') },
        timeoutMs: 90_000,
      });

      const log = readFileSync(join(passDir, 'agent.log'), 'utf8');
      expect(outcome, log.slice(-2_000)).toMatchObject({ kind: 'finished', exitCode: 0, report: { turns: 1, sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
      expect(readFileSync(join(worktree, 'work.txt'), 'utf8')).toBe('work\n');
      expect(JSON.parse(readFileSync(join(passDir, 'result.json'), 'utf8'))).toEqual(RESULT);
      expect(requests.length).toBe(2);
      expect(log).not.toContain('sk-fake-key-for-loopback');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
