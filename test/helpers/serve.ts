// Starts the real dashboard process (`node loop/main.ts serve ...`, what `nightshift serve` runs; with
// `cli`, through the command line itself, which becomes that process) on a free loopback port and waits
// for the URL it prints; `stop` ends it by its pid and waits for its exit.
import { execa } from 'execa';
import { CLI, ROOT } from './cli.ts';

export type Served = { url: string; pid: number; stop: () => Promise<void> };

export async function startServe(args: string[], env: NodeJS.ProcessEnv = process.env, how: 'loop' | 'cli' = 'loop'): Promise<Served> {
  const child = execa(process.execPath, [how === 'cli' ? CLI : `${ROOT}loop/main.ts`, 'serve', '--port', '0', ...args], { cwd: ROOT, env, extendEnv: false, reject: false, stdin: 'ignore' });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /http:\/\/[^\s]+\//.exec(out);
      if (match) resolve(match[0]);
    });
    void child.then((result) => reject(new Error(`serve exited (${String(result.exitCode)}) before it listened:\n${String(result.stderr)}`)));
  });
  return {
    url,
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill('SIGTERM');
      await child;
    },
  };
}
