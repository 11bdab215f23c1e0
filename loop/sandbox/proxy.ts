// The `proxy` network of the sandbox: an HTTP CONNECT proxy the loop runs outside the sandbox, on a unix
// socket in the pass's dir (the only way out of a sandbox without a network), letting through only the
// hosts of an allow-list: the model API hosts of the agent's vendor plus NIGHTSHIFT_PROXY_ALLOW. Inside,
// forward.ts listens on the sandbox's own loopback and points HTTPS_PROXY at it.
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { rmSync } from 'node:fs';

/** Hosts each vendor's CLI calls (its model API and sign-in); `.suffix` entries match subdomains. */
const VENDOR_HOSTS: Record<string, string[]> = {
  anthropic: ['api.anthropic.com', 'statsig.anthropic.com', 'console.anthropic.com', 'claude.ai'],
  openai: ['api.openai.com', 'chatgpt.com', 'auth.openai.com'],
  google: ['generativelanguage.googleapis.com', 'cloudcode-pa.googleapis.com', 'oauth2.googleapis.com', 'www.googleapis.com', 'play.googleapis.com'],
};

export function allowedHosts(vendor: string, env: NodeJS.ProcessEnv): string[] {
  const extra = (env.NIGHTSHIFT_PROXY_ALLOW ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  return [...(VENDOR_HOSTS[vendor] ?? []), ...extra];
}

export function hostAllowed(host: string, allow: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return allow.some((entry) => (entry.startsWith('.') ? name.endsWith(entry) || name === entry.slice(1) : name === entry));
}

export type Proxy = { socket: string; refused: string[]; close: () => Promise<void> };

/** Starts the allow-list proxy on `socket`; each connection must open with `CONNECT host:port`. */
export async function startProxy(socket: string, allow: readonly string[]): Promise<Proxy> {
  rmSync(socket, { force: true });
  const refused: string[] = [];
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > 16_384) client.destroy();
        return;
      }
      client.off('data', onData);
      const match = /^CONNECT ([^\s:]+|\[[^\]]+\]):(\d+) HTTP\/1\.[01]\r\n/.exec(head.toString('latin1'));
      if (!match?.[1] || !match[2]) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const host = match[1];
      if (!hostAllowed(host, allow)) {
        refused.push(host);
        client.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nnightshift sandbox: ${host} is not on the allow-list (NIGHTSHIFT_PROXY_ALLOW adds hosts)\n`);
        return;
      }
      const upstream = createConnection({ host: host.replace(/^\[|\]$/g, ''), port: Number(match[2]) });
      open.add(upstream);
      upstream.on('close', () => open.delete(upstream));
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
      upstream.on('error', () => {
        if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      });
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  return {
    socket,
    refused,
    close: () => new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      server.close(() => {
        rmSync(socket, { force: true });
        resolve();
      });
    }),
  };
}
