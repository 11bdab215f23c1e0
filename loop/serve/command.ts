// `nightshift serve [--state DIR|--all] [--port 7390] [--host 127.0.0.1] [--token T]`: the live web
// dashboard and its JSON API, read-only. Bound to loopback; another --host needs a token (--token or
// NIGHTSHIFT_SERVE_TOKEN), checked on every request. Runs until SIGINT or SIGTERM.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../../trackers/errors.ts';
import type { CommandIo } from '../report/command.ts';
import { defaultStateRoot, listStateDirs, loadStateDir } from '../report/load.ts';
import { openServer } from './server.ts';

export const SERVE_USAGE = `usage: nightshift serve [--state DIR|--all] [--port 7390] [--host 127.0.0.1] [--token TOKEN]

A live web dashboard of batches, read-only, served by nightshift itself: each batch's tickets as a
dependency graph coloured by state, running workers, the oracle's verdict, cost against the budgets,
heals with the tripwire's verdicts, interventions and the timeline, updated live as events arrive.
The same data is a JSON API: /api/batches, /api/batches/ID, /api/batches/ID/events?since=N.

  --state DIR  one batch: its state dir
  --all        every batch under $XDG_STATE_HOME/nightshift (default ~/.local/state/nightshift)
  (neither)    the "state" of ./nightshift.config.json if set, else --all
  --port N     default 7390 (0: any free port; the URL is printed)
  --host H     default 127.0.0.1; any other address needs a token
  --token T    required by every request (Authorization: Bearer T, or ?token=T in the page URL);
               NIGHTSHIFT_SERVE_TOKEN keeps it out of the process list

examples:
  nightshift serve
  NIGHTSHIFT_SERVE_TOKEN=$(openssl rand -hex 16) nightshift serve --all --host 0.0.0.0`;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function runServeCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, options: {
      state: { type: 'string' }, all: { type: 'boolean', default: false }, port: { type: 'string', default: '7390' },
      host: { type: 'string', default: '127.0.0.1' }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    } });
  } catch (error) {
    throw new UsageError('bad-flag', `${(error as Error).message}\n\n${SERVE_USAGE}`);
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout(`${SERVE_USAGE}\n`);
    return 0;
  }
  if (values.state !== undefined && values.all) throw new UsageError('bad-flag', '--state and --all contradict each other: give one batch\'s state dir, or --all for every batch under the default root.');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError('bad-flag', `--port must be a port number from 0 to 65535, not "${values.port}".`);
  const token = values.token ?? (io.env.NIGHTSHIFT_SERVE_TOKEN || undefined);
  if (token !== undefined && token.length < 16) throw new UsageError('bad-flag', 'the token must be at least 16 characters (e.g. `openssl rand -hex 16`).');
  if (!LOOPBACK.has(values.host) && token === undefined) {
    throw new UsageError('bad-flag', `--host ${values.host} would show the dashboard beyond this machine: give it a token too (--token T or NIGHTSHIFT_SERVE_TOKEN), or leave --host at 127.0.0.1.`);
  }
  const configured = values.all ? undefined : values.state !== undefined ? resolve(io.cwd, values.state) : (await import('../../oracle/run-options.ts')).readRunConfig(undefined, io.cwd).state;
  const root = defaultStateRoot(io.env);
  if (configured !== undefined) loadStateDir(configured); // a wrong --state is exit 2 now, not a blank page
  const dirs = configured !== undefined ? () => [configured] : () => listStateDirs(root);
  const server = openServer({ dirs, token });
  await new Promise<void>((ok, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => fail(error.code === 'EADDRINUSE'
      ? new UsageError('bad-flag', `port ${port} on ${values.host} is in use: another \`nightshift serve\`? Choose another with --port.`)
      : error));
    server.listen(port, values.host, ok);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const host = values.host.includes(':') ? `[${values.host}]` : values.host;
  io.stdout(`nightshift serve: http://${host}:${bound}/ (${configured ?? `every batch under ${root}`}); Ctrl-C stops it\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      server.closeAllConnections();
      server.close(() => done());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
