// Runs inside a `proxy` sandbox: `node forward.ts <socket> <program> [args...]`. Listens on the sandbox's
// own loopback, forwards every connection to the proxy's unix socket (loop/sandbox/proxy.ts, outside),
// starts the agent with HTTPS_PROXY and friends pointing at it, and exits as the agent does.
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

const [socket, program, ...args] = process.argv.slice(2);
if (!socket || !program) {
  process.stderr.write('usage: node forward.ts <socket> <program> [args...]\n');
  process.exit(2);
}
const server = createServer((client) => {
  const upstream = createConnection(socket);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.pipe(upstream).pipe(client);
});
server.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = { ...process.env, HTTPS_PROXY: url, HTTP_PROXY: url, https_proxy: url, http_proxy: url, ALL_PROXY: url, NO_PROXY: 'localhost,127.0.0.1', no_proxy: 'localhost,127.0.0.1', NODE_USE_ENV_PROXY: '1' };
  const child = spawn(program, args, { stdio: 'inherit', env });
  child.on('error', (error) => {
    process.stderr.write(`nightshift sandbox: cannot start ${program}: ${error.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
});
