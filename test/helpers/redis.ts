// A real redis-server for a test: started on a free loopback port with nothing saved to disk (or, given
// `dir`, an append-only file there, so a restart on the same port keeps the queue), stopped by its pid.
// `startRedis` returns once this server says it accepts connections (its own log line, not a poll: a
// PING could be answered by another test's server on a port taken between the pick and the bind) and
// answers PING. A port taken meanwhile is picked again, unless the caller named it.
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { Redis } from 'ioredis';

export type TestRedis = { url: string; port: number; pid: number; stop: (signal?: NodeJS.Signals) => Promise<void> };

const PICKS = 5;
const READY_MS = 20_000;

export async function startRedis(options: { dir?: string; port?: number } = {}): Promise<TestRedis> {
  for (let pick = 1; ; pick++) {
    const started = await startOn(options.port ?? await freePort(), options.dir);
    if (started.kind === 'up') return started.redis;
    if (options.port !== undefined || pick === PICKS) throw new Error(`redis-server did not start on port ${started.port}:\n${started.output}`);
  }
}

async function startOn(port: number, dir: string | undefined): Promise<{ kind: 'up'; redis: TestRedis } | { kind: 'failed'; port: number; output: string }> {
  const persist = dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : ['--appendonly', 'no'];
  const child = execa('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persist, '--daemonize', 'no'], { reject: false, stdin: 'ignore', buffer: false, stderr: 'inherit' });
  const output: string[] = [];
  // its log goes to stdout (read to its end, so the pipe never fills): ready once it has bound the port
  // and loaded its data, failed if it exits first or says neither within READY_MS
  const ready = await new Promise<boolean>((resolve) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (output.length < 50) output.push(line);
      if (/Ready to accept connections/.test(line)) resolve(true);
    });
    void child.finally(() => resolve(false));
    setTimeout(() => {
      output.push(`(no "Ready to accept connections" within ${READY_MS} ms)`);
      resolve(false);
    }, READY_MS).unref();
  });
  if (!ready) {
    child.kill('SIGKILL');
    await child;
    return { kind: 'failed', port, output: output.join('\n') };
  }
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    if (await client.ping() !== 'PONG') throw new Error(`redis-server on port ${port} did not answer PING`);
  } catch (error) {
    child.kill('SIGKILL');
    await child;
    throw error;
  } finally {
    client.disconnect();
  }
  const pid = child.pid ?? 0;
  return {
    kind: 'up',
    redis: {
      url, port, pid,
      stop: async (signal = 'SIGTERM') => {
        process.kill(pid, signal);
        await child;
      },
    },
  };
}

/** A loopback port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
