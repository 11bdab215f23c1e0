// The spawn helper's side (see spawner.ts): a small process that runs short commands for the loop and
// sends back their exit code and output. It imports nothing else, so it stays small and its fork()s
// stay cheap; it exits when the loop that started it is gone.
import { spawn } from 'node:child_process';

type Request = { id: number; file: string; args: string[]; cwd: string; env: Record<string, string>; input?: string };

process.on('message', (message: Request) => {
  const { id } = message;
  let stdout = '';
  let stderr = '';
  let replied = false;
  const reply = (exitCode: number, extra = '') => {
    if (replied) return;
    replied = true;
    process.send?.({ id, exitCode, stdout, stderr: stderr || extra });
  };
  try {
    const child = spawn(message.file, message.args, { cwd: message.cwd, env: message.env, stdio: [message.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', (error) => reply(-1, error.message));
    child.on('close', (code, signal) => reply(code ?? -1, signal ? `killed by ${signal}` : ''));
    if (message.input !== undefined) {
      child.stdin?.on('error', () => {});
      child.stdin?.end(message.input);
    }
  } catch (error) {
    reply(-1, (error as Error).message);
  }
});
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the loop's whole process group: the loop stops gracefully and still needs git meanwhile
process.on('SIGINT', () => {});
