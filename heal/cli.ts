#!/usr/bin/env node
// The `nightshift` command line. It lives in heal/ (locked by ORACLE.lock, out of a heal's reach) so
// a heal can change how the loop works but never what `nightshift oracle`, `tripwire` or `run` mean.
// Each command loads its own modules when it runs, so a hook call (many per agent session) does not
// pay for the loop, the tripwire and the trackers.
import { FatalError } from '../trackers/errors.ts';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOOP_MAIN = join(ROOT, 'loop', 'main.ts');

export type Io = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
};

export const HELP = `nightshift: runs a batch of tickets to verified done, unattended.

commands:
  nightshift run <BATCH> --tracker local|linear|jira [--tickets FILE] --repo DIR [--target-branch main]
                 [--agent SPEC] [--review SPEC,SPEC] [--heal SPEC] [--workers N] [--max-passes N]
                 [--budget-usd X] [--state DIR] [--config FILE]
  nightshift demo [--dir DIR] [--setup-only]     run a whole sample batch offline
  nightshift oracle <BATCH> --tracker ... --repo DIR [--json]
  nightshift audit <BATCH> --tracker ... --repo DIR [--workers N] [--report-only] [--json]
                                                 re-run every done ticket's finish line on the final head
  nightshift tripwire --candidate <DIR|REV> [--seed N] [--json]   judge a heal from this trusted checkout
  nightshift tripwire --check-lock               nightshift lock
  nightshift status [--state DIR] [--json]       a batch's progress, from another terminal
  nightshift report [RUN|STATE_DIR] [--html] [--out FILE]   the batch's summary or HTML report
  nightshift serve [--state DIR|--all] [--port 7390] [--host 127.0.0.1] [--token T]   live web dashboard + JSON API
  nightshift worker --queue redis://HOST:PORT [--slots N] [--work-dir DIR]   run passes for --executor queue
  nightshift heals [--json]                      every heal this checkout has seen, with the tripwire's verdict
  nightshift interventions [--json]              every human touch and request, by kind
  nightshift intervene --kind work|harness "<note>"   record a human touch
  nightshift hook pre-tool-use | stop            Claude Code hooks (JSON on stdin, exit 2 blocks)

BATCH is a range ENG-120..ENG-134 or a list ENG-120,ENG-131.
SPEC is claude[:model], codex[:model], gemini[:model] or command:<path>.

exit codes: 0 done, 1 not done / stopped, 2 usage or input error, 3 needs a human, 4 budget spent.

Every command takes --help. Config: nightshift.config.json in the working directory (or --config FILE)
holds the flags of \`run\` in camelCase, e.g. {"tracker":"local","tickets":"tickets.json","workers":2}.

examples:
  nightshift demo
  nightshift run ENG-120..ENG-134 --tracker linear --repo . --workers 3 --budget-usd 40
  nightshift status
  nightshift report --html --out report.html`;

type Command = (argv: string[], io: Io) => Promise<number>;

const commands: Record<string, Command> = {
  run: async (argv, io) => {
    const { parseRunArgs, RUN_USAGE } = await import('../oracle/run-options.ts');
    if (argv.includes('--help') || argv.includes('-h')) return help(io, RUN_USAGE);
    const options = parseRunArgs(argv, io.cwd); // bad flags are exit 2 here, before any child starts
    const warning = (await import('../oracle/agent-argv.ts')).sameVendorWarning(options.review);
    if (warning) io.stderr(`nightshift: ${warning}\n`);
    return (await import('./supervisor.ts')).superviseRun(argv, io);
  },
  oracle: async (argv, io) => (await import('../oracle/command.ts')).runOracleCommand(argv, io),
  audit: async (argv, io) => (await import('../oracle/audit-command.ts')).runAuditCommand(argv, io),
  hook: (argv, io) => inLoopProcess('hook', argv, io),
  demo: runDemo,
  heals: async (argv, io) => (await import('./review-commands.ts')).runHealsCommand(argv, io),
  interventions: async (argv, io) => (await import('./review-commands.ts')).runInterventionsCommand(argv, io),
  intervene: async (argv, io) => (await import('./review-commands.ts')).runInterveneCommand(argv, io),
  status: (argv, io) => inLoopProcess('status', argv, io),
  report: (argv, io) => inLoopProcess('report', argv, io),
  serve: (argv, io) => asLoopProcess('serve', argv, io),
  worker: (argv, io) => inLoopProcess('worker', argv, io),
  lock: async (_argv, io) => {
    let lock;
    try {
      lock = (await import('./lock.ts')).writeLock(ROOT);
    } catch (error) {
      io.stderr(`nightshift lock: ${(error as Error).message}\n`);
      return 1;
    }
    io.stdout(`ORACLE.lock rewritten: ${Object.keys(lock.files).length} files of the frozen set (oracle/, heal/ and what they import).\n`);
    return 0;
  },
  tripwire: async (argv, io) => {
    if (argv.includes('--check-lock')) return checkLock(io);
    return (await import('./tripwire.ts')).runTripwireCommand(argv, io, ROOT);
  },
};

/**
 * Commands that are the loop's (its hooks, `status`, `report`, `serve`) run in a child process from the loop's
 * own entry: frozen code never loads healable code into its own process.
 */
async function inLoopProcess(command: string, argv: string[], io: Io): Promise<number> {
  const { execa } = await import('execa');
  const child = await execa(process.execPath, [LOOP_MAIN, command, ...argv], { stdio: 'inherit', reject: false, cwd: io.cwd, env: io.env, extendEnv: false });
  return child.exitCode ?? 1;
}

/**
 * A loop command that runs all night (the dashboard) replaces this process rather than running beside
 * it: one process, not this one idle next to it. Only for the real command line (its own environment
 * and directory); elsewhere, and where execve is not available or node cannot be run again, a child.
 */
async function asLoopProcess(command: string, argv: string[], io: Io): Promise<number> {
  if (typeof process.execve === 'function' && io.env === process.env && io.cwd === process.cwd()) {
    // a failed execve() aborts the process in Node 24 (it does not throw): checked before, else a child
    const { accessSync, constants } = await import('node:fs');
    const runnable = [process.execPath, LOOP_MAIN].every((file, i) => {
      try {
        accessSync(file, i === 0 ? constants.X_OK : constants.R_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (runnable) process.execve(process.execPath, [process.execPath, LOOP_MAIN, command, ...argv], process.env);
  }
  return inLoopProcess(command, argv, io);
}

function help(io: Io, text: string): number {
  io.stdout(`${text}\n`);
  return 0;
}

async function checkLock(io: Io): Promise<number> {
  const [{ compareLock, computeLock, readLock }, { computeClosure }] = await Promise.all([import('./lock.ts'), import('./closure.ts')]);
  let problems: string[];
  try {
    problems = [...computeClosure(ROOT).problems, ...compareLock(readLock(ROOT), computeLock(ROOT))];
  } catch (error) {
    io.stderr(`tripwire: cannot read ORACLE.lock: ${(error as Error).message}\n`);
    return 1;
  }
  if (problems.length === 0) {
    io.stdout('tripwire: ORACLE.lock matches the frozen set (oracle/, heal/ and what they import).\n');
    return 0;
  }
  io.stderr(`tripwire: ORACLE.lock is stale or the frozen set is unsound:\n${problems.map((p) => `  ${p}`).join('\n')}\nA person who meant this change runs \`nightshift lock\` and commits the new lock with it.\n`);
  return 1;
}

async function runDemo(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { dir: { type: 'string' }, 'setup-only': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return help(io, 'usage: nightshift demo [--dir DIR] [--setup-only]\n\nCreates a sample git repo and tickets file, runs the batch with scripted agents, and ends with the oracle\'s verdict.\n--setup-only prints the exact `nightshift run` command instead of running it.\n\nexamples:\n  nightshift demo\n  nightshift demo --dir /tmp/ns-demo --setup-only');
  const [{ quote }, { execa }, { superviseRun }, { runOracleCommand }] = await Promise.all([
    import('shell-quote'), import('execa'), import('./supervisor.ts'), import('../oracle/command.ts'),
  ]);
  // the demo's project is the loop's: it is made by the loop's own process, as the run is
  const made = await execa(process.execPath, [LOOP_MAIN, 'demo-setup', ...(values.dir === undefined ? [] : [values.dir])], { reject: false, cwd: io.cwd, env: io.env, extendEnv: false, stdin: 'ignore' });
  if (made.exitCode !== 0) {
    io.stderr(`${made.stderr}\n`);
    return made.exitCode ?? 1;
  }
  const demo = JSON.parse(made.stdout.trim().split('\n').at(-1) ?? '{}') as { dir: string; repo: string; tickets: string; runArgs: string[] };
  if (values['setup-only']) {
    io.stderr(`demo set up in ${demo.dir} (repo, tickets.json). Run it with:\n`);
    io.stdout(`nightshift run ${quote(demo.runArgs)}\n`);
    return 0;
  }
  io.stdout(`nightshift demo: sample project in ${demo.repo}, tickets in ${demo.tickets}\n\n`);
  const loopExit = await superviseRun(demo.runArgs, io);
  io.stdout(`\nnightshift demo: the loop exited ${loopExit}. Asking the oracle:\n\n`);
  const oracleExit = await runOracleCommand([demo.runArgs[0] ?? '', '--tracker', 'local', '--tickets', demo.tickets, '--repo', demo.repo, '--target-branch', 'main'], io);
  return loopExit !== 0 ? loopExit : oracleExit;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') return help(io, HELP);
  const command = commands[name];
  if (!command) {
    io.stderr(`nightshift: unknown command "${name}".\n\n${HELP}\n`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    if (error instanceof FatalError) {
      io.stderr(`nightshift ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`nightshift ${name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  });
}
