// A real redis-server for a test: started on a free loopback port with nothing saved to disk (or, given
// `dir`, an append-only file there, so a restart on the same port keeps the queue), stopped by its pid.
// Answers PING before `startRedis` returns.
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { Redis } from 'ioredis';

export type TestRedis = { url: string; port: number; pid: number; stop: (signal?: NodeJS.Signals) => Promise<void> };

export async function startRedis(options: { dir?: string; port?: number } = {}): Promise<TestRedis> {
  const port = options.port ?? await freePort();
  const persist = options.dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.dir] : ['--appendonly', 'no'];
  const child = execa('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persist, '--daemonize', 'no'], { reject: false, stdin: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  let exited = false;
  void child.finally(() => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error(`redis-server exited at once: ${String((await child).stderr)}`);
    const pong = await client.connect().then(() => client.ping(), () => undefined).catch(() => undefined);
    if (pong === 'PONG') break;
    client.disconnect();
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s`);
    await sleep(50);
  }
  client.disconnect();
  const pid = child.pid ?? 0;
  return {
    url, port, pid,
    stop: async (signal = 'SIGTERM') => {
      process.kill(pid, signal);
      await child;
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
