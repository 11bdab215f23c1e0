// The real Gemini CLI through the gemini adapter, offline: a fake of the Gemini API on loopback
// (GOOGLE_GEMINI_BASE_URL, API-key auth) plays the model: a force push (which our BeforeTool hook must
// block), an ordinary command, then a final answer carrying the result JSON. It proves the adapter's
// command line, its hook settings (GEMINI_CLI_SYSTEM_SETTINGS_PATH) and its reading of `-o json`
// against the real CLI. Skipped when the CLI is absent (install:
// `npm install --prefix /tmp/gemini-cli @google/gemini-cli@0.61.0`, or set GEMINI_BIN).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { geminiAgent } from '../../../loop/agents/gemini.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

const BINARY = process.env.GEMINI_BIN ?? '/tmp/gemini-cli/node_modules/.bin/gemini';
const present = existsSync(BINARY);
if (!present) console.warn(`agents-gemini-real: skipped, no Gemini CLI at ${BINARY} (set GEMINI_BIN)`);

const RESULT = { status: 'complete', summary: 'wrote work.txt', evidence: 'cat work.txt: work', discovered: [], cost_usd: 0 };
type Part = { text?: string; functionCall?: unknown; functionResponse?: { name: string; response: { output?: string; error?: string } } };
type GenerateRequest = { contents?: Array<{ role: string; parts?: Part[] }> };

describe.skipIf(!present)('the real Gemini CLI through the gemini adapter', () => {
  it('blocks a force push through the BeforeTool hook, runs an ordinary command, and reads the JSON result', async () => {
    const responses: Part['functionResponse'][] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (!/generateContent/i.test(req.url ?? '')) return void res.writeHead(404).end('{}');
        const request = JSON.parse(body) as GenerateRequest;
        const answered = (request.contents ?? []).flatMap((c) => c.parts ?? []).filter((p) => p.functionResponse).map((p) => p.functionResponse);
        responses.splice(0, responses.length, ...answered);
        const part: Part = answered.length === 0 ? { functionCall: { name: 'run_shell_command', args: { command: 'git push --force origin main' } } }
          : answered.length === 1 ? { functionCall: { name: 'run_shell_command', args: { command: 'echo work > work.txt' } } }
          : { text: `Done.\n\`\`\`json\n${JSON.stringify(RESULT)}\n\`\`\`` };
        const chunk = { candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 } };
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify(chunk)}\n\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const dir = tempDir('nightshift-gemini-real-');
      const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'hello\n' });
      const worktree = join(dir, 'wt');
      await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/T-1', worktree);
      const home = join(dir, 'home');
      mkdirSync(join(home, '.gemini'), { recursive: true });
      writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }));
      const passDir = join(dir, 'state', 'passes', 'T-1', '1');
      mkdirSync(passDir, { recursive: true });
      writeFileSync(join(passDir, 'prompt.md'), 'Do ticket T-1: add work.txt.');

      const outcome = await geminiAgent('gemini:gemini-2.5-pro', BINARY).run({
        role: 'worker', ticket: 'T-1', pass: 1, cwd: worktree,
        promptFile: join(passDir, 'prompt.md'), resultFile: join(passDir, 'result.json'), logFile: join(passDir, 'agent.log'),
        env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, GEMINI_API_KEY: 'fake-gemini-key-for-loopback', GOOGLE_GEMINI_BASE_URL: `http://127.0.0.1:${port}` },
        extraEnv: { NIGHTSHIFT_TARGET_BRANCH: 'main' },
        timeoutMs: 120_000,
      });

      const log = readFileSync(join(passDir, 'agent.log'), 'utf8');
      expect(outcome, log.slice(-3_000)).toMatchObject({ kind: 'finished', exitCode: 0, report: { sessionId: expect.any(String), turns: expect.any(Number) } });
      expect(responses[0]?.response.error).toContain('nightshift safety gate: blocked: it force-pushes');
      expect(readFileSync(join(worktree, 'work.txt'), 'utf8')).toBe('work\n');
      expect(JSON.parse(readFileSync(join(passDir, 'result.json'), 'utf8'))).toEqual(RESULT);
      expect(log).not.toContain('fake-gemini-key-for-loopback');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
