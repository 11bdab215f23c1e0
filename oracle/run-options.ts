// The options of `nightshift run` (frozen: the supervisor reads the batch, tracker and repo it confirms
// from the same flags the loop gets): flags, or the same keys in nightshift.config.json (zod-validated,
// errors with dotted paths); flags win. Every bad value is a UsageError (exit 2) saying what to do.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseBatch } from '../trackers/batch.ts';
import type { Batch } from '../trackers/batch.ts';
import { parseGithubBatch } from '../trackers/github-batch.ts';
import { UsageError, formatZodIssues } from '../trackers/errors.ts';
import { parseCommandArgv } from './agent-argv.ts';
import { RunConfig } from './run-config.ts';
import type { NotifyTarget } from './run-config.ts';

export { RunConfig };
export type { NotifyTarget };

export type RunOptions = {
  batch: Batch;
  tracker: 'local' | 'linear' | 'jira' | 'github';
  tickets: string | undefined;
  repo: string;
  targetBranch: string;
  agent: string;
  review: string[];
  heal: string | undefined;
  workers: number;
  maxPasses: number;
  budgetUsd: number | undefined;
  /** Spent across every run of the batch on one UTC day. */
  budgetUsdPerDay: number | undefined;
  /** Spent on one ticket across every run of the batch. */
  budgetUsdPerTicket: number | undefined;
  /** Webhooks told when the run ends, a ticket is gated, a heal is judged, or a budget is at 80%. */
  notify: NotifyTarget[];
  state: string | undefined;
  workerMinutes: number;
  maxDiscovered: number;
  /** Commands that prepare every worktree; undefined: detected from the repo's lockfiles; []: none. */
  setup: string[] | undefined;
  /** Run the batch's finish lines once on the target head before any agent starts. */
  preflight: boolean;
  /** Every agent process in a bubblewrap sandbox (`on`, the default) or unconfined (`off`). */
  sandbox: 'on' | 'off';
  /** The agents' network in the sandbox; undefined: `host` for model CLIs, `none` for `command:` agents. */
  agentNetwork: 'host' | 'proxy' | 'none' | undefined;
  /** Where a merge ships: the local target only, pushed to its upstream, or through a pull request. */
  land: 'local' | 'push' | 'pr';
  /** Run after landing, before a ticket's ```replay block (live replay), retried over replayWindowMinutes. */
  deploy: string | undefined;
  replayWindowMinutes: number;
  /** Where worker agents run: here, or in `nightshift worker`s taking jobs from `queue` (redis://). */
  executor: 'local' | 'queue';
  queue: string | undefined;
  cwd: string;
};

export const RUN_USAGE = `usage: nightshift run <BATCH> --tracker local|linear|jira|github [--tickets FILE] --repo DIR [--target-branch main]
               [--agent SPEC] [--review SPEC,SPEC] [--heal SPEC] [--workers N] [--max-passes N]
               [--budget-usd X] [--state DIR] [--worker-minutes M] [--config FILE]
               [--setup CMD]... [--no-setup] [--no-preflight] [--executor local|queue --queue redis://HOST:PORT]
               [--sandbox on|off] [--agent-network host|proxy|none] [--land local|push|pr]

BATCH  a key range ENG-120..ENG-134 or a comma list ENG-120,ENG-131; for --tracker github also
       owner/repo#120..#134, owner/repo#120,#131 or "owner/repo label:NAME"
SPEC   claude[:model], codex[:model], gemini[:model] or command:<path>

--setup CMD      prepares every worktree (repeatable; default: detected from the repo's lockfiles, e.g.
                 package-lock.json -> npm ci); --no-setup (or "setup": []) prepares nothing
--no-preflight   skip running the batch's finish lines once on the target head before any agent starts
--sandbox on|off every agent process runs in a bubblewrap sandbox (default on; it may write only its
                 worktree and its own branch); off runs agents unconfined, with a warning
--agent-network host|proxy|none
                 the agents' network inside the sandbox (default: host for claude, codex and gemini,
                 none for command: agents)
--land local|push|pr
                 local (default) merges into the local target only; push also pushes it (fast-forward)
                 to its upstream, and nothing counts as landed before the push is accepted
--executor queue --queue redis://HOST:PORT   worker agents run in \`nightshift worker\`s taking jobs from Redis

The same keys, in camelCase, may come from nightshift.config.json in the working directory (or
--config FILE); flags win, and paths in the file are relative to the file:
  {"tracker": "linear", "repo": "..", "workers": 3, "budgetUsd": 40, "review": ["claude", "codex"]}
Keys of the file only: "budgetUsdPerDay" and "budgetUsdPerTicket" (spent across every run of the batch, per
UTC day and per ticket), "notify": webhooks, ["https://hooks.slack.com/...", {"url": "...", "format": "json"}].

exit codes: 0 done, 1 not done / stopped, 2 usage or input error, 3 needs a human, 4 budget spent.

examples:
  nightshift run ENG-120..ENG-134 --tracker linear --repo . --workers 3 --budget-usd 40
  nightshift run DEMO-1..DEMO-10 --tracker local --tickets tickets.json --repo ./repo \\
    --agent command:./agent.mjs --review command:./reviewer.mjs,command:./reviewer.mjs`;

function positiveNumber(flag: string, text: string | undefined, integer: boolean, max = Infinity): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError('bad-flag', `--${flag} must be a positive ${integer ? 'whole number' : 'number'}, not "${text}".`);
  }
  if (value > max) throw new UsageError('bad-flag', `--${flag} must be at most ${max}, not ${text}.`);
  return value;
}

/** An agent SPEC: claude[:model], codex[:model], gemini[:model], or command:<argv> whose program exists. */
export function checkAgentSpec(where: string, spec: string, cwd: string): void {
  if (/^(claude|codex|gemini)(:[\w.\-\/]+)?$/.test(spec)) return;
  if (!spec.startsWith('command:')) {
    throw new UsageError('bad-agent-spec', `${where}: unknown agent spec "${spec}". Use claude[:model], codex[:model], gemini[:model] or command:<path>.`);
  }
  const [program] = parseCommandArgv(spec.slice('command:'.length), cwd);
  if (program?.includes('/') && !existsSync(program)) {
    throw new UsageError('bad-agent-spec', `${where}: the program ${program} of "${spec}" does not exist. Fix the path (relative paths start from ${cwd}).`);
  }
}

/** --repo and --state must be directories (the state dir may not exist yet). */
function checkDir(where: string, path: string, mustExist: boolean, what: string): void {
  if (!existsSync(path)) {
    if (mustExist) throw new UsageError('bad-flag', `${where}: ${path} does not exist. ${what}`);
    return;
  }
  if (!statSync(path).isDirectory()) throw new UsageError('bad-flag', `${where}: ${path} is not a directory. ${what}`);
}

export function readRunConfig(path: string | undefined, cwd: string): RunConfig {
  const file = resolve(cwd, path ?? 'nightshift.config.json');
  if (path === undefined && !existsSync(file)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError('bad-config', `config file ${file} cannot be read as JSON: ${(error as Error).message}. Fix it or pass --config with another file.`);
  }
  const parsed = RunConfig.safeParse(json);
  if (!parsed.success) {
    throw new UsageError('bad-config', `config file ${file} is invalid:\n${formatZodIssues(parsed.error.issues)}\nFix these keys. The keys are the flags of \`nightshift run --help\` in camelCase: ${Object.keys(RunConfig.shape).join(', ')}.`);
  }
  // paths in a config file are relative to the file, wherever the command runs
  const base = dirname(file);
  const data = parsed.data;
  return {
    ...data,
    ...(data.tickets !== undefined ? { tickets: resolve(base, data.tickets) } : {}),
    ...(data.repo !== undefined ? { repo: resolve(base, data.repo) } : {}),
    ...(data.state !== undefined ? { state: resolve(base, data.state) } : {}),
  };
}

export function parseRunArgs(argv: string[], cwd: string): RunOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        tracker: { type: 'string' },
        tickets: { type: 'string' },
        repo: { type: 'string' },
        'target-branch': { type: 'string' },
        agent: { type: 'string' },
        review: { type: 'string' },
        heal: { type: 'string' },
        workers: { type: 'string' },
        'max-passes': { type: 'string' },
        'budget-usd': { type: 'string' },
        state: { type: 'string' },
        'worker-minutes': { type: 'string' },
        config: { type: 'string' },
        setup: { type: 'string', multiple: true },
        'no-setup': { type: 'boolean', default: false },
        'no-preflight': { type: 'boolean', default: false },
        sandbox: { type: 'string' },
        'agent-network': { type: 'string' },
        land: { type: 'string' },
        executor: { type: 'string' }, queue: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError('bad-flag', `${(error as Error).message}\n\n${RUN_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError('bad-batch', `run takes exactly one BATCH, got ${positionals.length}.\n\n${RUN_USAGE}`);
  }
  const config = readRunConfig(values.config, cwd);
  if (values['no-setup'] && values.setup) throw new UsageError('bad-flag', '--setup and --no-setup contradict each other: give set-up commands, or none.');
  if (values.setup?.some((c) => c.trim() === '')) throw new UsageError('bad-flag', '--setup needs a command, e.g. --setup "npm ci".');
  const tracker = values.tracker ?? config.tracker;
  if (tracker !== 'local' && tracker !== 'linear' && tracker !== 'jira' && tracker !== 'github') {
    throw new UsageError('bad-flag', `--tracker must be local, linear, jira or github${tracker ? `, not "${tracker}"` : ''}.\n\n${RUN_USAGE}`);
  }
  const repo = values.repo ?? config.repo;
  if (!repo) throw new UsageError('bad-flag', `--repo DIR is required (the git repository the tickets merge into).\n\n${RUN_USAGE}`);
  const tickets = values.tickets ?? config.tickets;
  if (tracker === 'local' && !tickets) {
    throw new UsageError('bad-flag', '--tracker local needs --tickets FILE (the JSON tickets file of DESIGN.md).');
  }
  const reviewText = values.review ?? config.review ?? 'claude,codex';
  const review = (Array.isArray(reviewText) ? reviewText : splitSpecs(reviewText)).map((s) => s.trim()).filter((s) => s !== '');
  if (review.length !== 2) {
    throw new UsageError('bad-flag', `--review takes two agent specs separated by a comma (e.g. claude,codex), got "${String(reviewText)}".`);
  }
  const from = (flag: string, key: string) => (values[flag as keyof typeof values] !== undefined ? `--${flag}` : `"${key}" in ${configPath(values.config, cwd)}`);
  const agent = values.agent ?? config.agent ?? 'claude';
  checkAgentSpec(from('agent', 'agent'), agent, cwd);
  for (const spec of review) checkAgentSpec(from('review', 'review'), spec, cwd);
  const heal = values.heal ?? config.heal;
  if (heal !== undefined) checkAgentSpec(from('heal', 'heal'), heal, cwd);
  const repoDir = resolve(cwd, repo);
  checkDir(from('repo', 'repo'), repoDir, true, 'Point --repo at the git repository the tickets merge into.');
  const state = values.state !== undefined ? resolve(cwd, values.state) : config.state;
  if (state !== undefined) checkDir(from('state', 'state'), state, false, 'Give --state a directory (it is created if missing).');
  const [executor, queue] = [oneOf('executor', values.executor, ['local', 'queue'] as const) ?? config.executor ?? 'local', values.queue ?? config.queue];
  if ((executor === 'queue') !== (queue !== undefined) || (queue !== undefined && !/^rediss?:\/\/[^/]/.test(queue))) throw new UsageError('bad-flag', '--executor queue goes with --queue redis://HOST:PORT (and --queue only with it).');
  return {
    batch: tracker === 'github' ? parseGithubBatch(positionals[0]) : parseBatch(positionals[0]),
    tracker,
    tickets: tickets === undefined ? undefined : resolve(cwd, tickets),
    repo: repoDir,
    targetBranch: values['target-branch'] ?? config.targetBranch ?? 'main',
    agent,
    review,
    heal,
    workers: positiveNumber('workers', values.workers, true, 64) ?? config.workers ?? 1,
    maxPasses: positiveNumber('max-passes', values['max-passes'], true, 100) ?? config.maxPasses ?? 4,
    budgetUsd: positiveNumber('budget-usd', values['budget-usd'], false) ?? config.budgetUsd,
    budgetUsdPerDay: config.budgetUsdPerDay,
    budgetUsdPerTicket: config.budgetUsdPerTicket,
    notify: (config.notify ?? []).map((n) => (typeof n === 'string' ? { url: n, format: defaultFormat(n) } : { url: n.url, format: n.format ?? defaultFormat(n.url) })),
    state,
    workerMinutes: positiveNumber('worker-minutes', values['worker-minutes'], false) ?? config.workerMinutes ?? 90,
    maxDiscovered: config.maxDiscovered ?? 20,
    setup: values['no-setup'] ? [] : values.setup ?? config.setup,
    preflight: !values['no-preflight'] && config.preflight !== false,
    sandbox: oneOf('sandbox', values.sandbox, ['on', 'off'] as const) ?? config.sandbox ?? 'on',
    agentNetwork: oneOf('agent-network', values['agent-network'], ['host', 'proxy', 'none'] as const) ?? config.agentNetwork,
    land: oneOf('land', values.land, ['local', 'push', 'pr'] as const) ?? config.land ?? 'local',
    deploy: config.deploy,
    replayWindowMinutes: config.replayWindowMinutes ?? 10,
    executor, queue, cwd,
  };
}

/** Slack's own webhook host gets Slack's shape; any other URL a generic JSON POST unless it says otherwise. */
function defaultFormat(url: string): 'slack' | 'json' {
  return new URL(url).hostname === 'hooks.slack.com' ? 'slack' : 'json';
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new UsageError('bad-flag', `--${flag} must be ${allowed.join(' or ')}, not "${text}".`);
}

function configPath(path: string | undefined, cwd: string): string {
  return resolve(cwd, path ?? 'nightshift.config.json');
}

/** Splits `A,B` where a `command:` spec may itself hold commas only inside quotes. */
function splitSpecs(text: string): string[] {
  const specs: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === ',') {
      specs.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  specs.push(current);
  return specs;
}
