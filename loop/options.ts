// The options of `nightshift run`: flags, or the same keys in nightshift.config.json (zod-validated,
// errors with dotted paths); flags win. Every bad value is a UsageError (exit 2) saying what to do.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseBatch } from '../trackers/batch.ts';
import type { Batch } from '../trackers/batch.ts';
import { UsageError, formatZodIssues } from '../trackers/errors.ts';

export const RunConfig = z.strictObject({
  tracker: z.enum(['local', 'linear', 'jira']).optional(),
  tickets: z.string().optional(),
  repo: z.string().optional(),
  targetBranch: z.string().min(1).optional(),
  agent: z.string().min(1).optional(),
  review: z.union([z.string(), z.array(z.string())]).optional(),
  heal: z.string().min(1).optional(),
  workers: z.number().int().min(1).max(64).optional(),
  maxPasses: z.number().int().min(1).max(100).optional(),
  budgetUsd: z.number().positive().optional(),
  state: z.string().optional(),
  workerMinutes: z.number().positive().optional(),
  maxDiscovered: z.number().int().min(0).optional(),
});
export type RunConfig = z.infer<typeof RunConfig>;

export type RunOptions = {
  batch: Batch;
  tracker: 'local' | 'linear' | 'jira';
  tickets: string | undefined;
  repo: string;
  targetBranch: string;
  agent: string;
  review: string[];
  heal: string | undefined;
  workers: number;
  maxPasses: number;
  budgetUsd: number | undefined;
  state: string | undefined;
  workerMinutes: number;
  maxDiscovered: number;
  cwd: string;
};

export const RUN_USAGE = `usage: nightshift run <BATCH> --tracker local|linear|jira [--tickets FILE] --repo DIR [--target-branch main]
               [--agent SPEC] [--review SPEC,SPEC] [--heal SPEC] [--workers N] [--max-passes N]
               [--budget-usd X] [--state DIR] [--worker-minutes M] [--config FILE]

BATCH  a key range ENG-120..ENG-134 or a comma list ENG-120,ENG-131
SPEC   claude[:model], codex[:model], gemini[:model] or command:<path>

example: nightshift run DEMO-1..DEMO-10 --tracker local --tickets tickets.json --repo ./repo \\
           --agent command:./agent.mjs --review command:./reviewer.mjs,command:./reviewer.mjs`;

function positiveNumber(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError('bad-flag', `--${flag} must be a positive ${integer ? 'whole number' : 'number'}, not "${text}".`);
  }
  return value;
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
    throw new UsageError('bad-config', `config file ${file} is invalid:\n${formatZodIssues(parsed.error.issues)}\nFix these keys (the flags of \`nightshift run --help\`, in camelCase).`);
  }
  return parsed.data;
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
      },
    });
  } catch (error) {
    throw new UsageError('bad-flag', `nightshift run: ${(error as Error).message}\n\n${RUN_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError('bad-batch', `nightshift run takes exactly one BATCH, got ${positionals.length}.\n\n${RUN_USAGE}`);
  }
  const config = readRunConfig(values.config, cwd);
  const tracker = values.tracker ?? config.tracker;
  if (tracker !== 'local' && tracker !== 'linear' && tracker !== 'jira') {
    throw new UsageError('bad-flag', `nightshift run: --tracker must be local, linear or jira${tracker ? `, not "${tracker}"` : ''}.\n\n${RUN_USAGE}`);
  }
  const repo = values.repo ?? config.repo;
  if (!repo) throw new UsageError('bad-flag', `nightshift run: --repo DIR is required (the git repository the tickets merge into).\n\n${RUN_USAGE}`);
  const tickets = values.tickets ?? config.tickets;
  if (tracker === 'local' && !tickets) {
    throw new UsageError('bad-flag', 'nightshift run: --tracker local needs --tickets FILE (the JSON tickets file of DESIGN.md).');
  }
  const reviewText = values.review ?? config.review ?? 'claude,codex';
  const review = (Array.isArray(reviewText) ? reviewText : splitSpecs(reviewText)).map((s) => s.trim()).filter((s) => s !== '');
  if (review.length !== 2) {
    throw new UsageError('bad-flag', `--review takes two agent specs separated by a comma (e.g. claude,codex), got "${String(reviewText)}".`);
  }
  return {
    batch: parseBatch(positionals[0]),
    tracker,
    tickets: tickets === undefined ? undefined : resolve(cwd, tickets),
    repo: resolve(cwd, repo),
    targetBranch: values['target-branch'] ?? config.targetBranch ?? 'main',
    agent: values.agent ?? config.agent ?? 'claude',
    review,
    heal: values.heal ?? config.heal,
    workers: positiveNumber('workers', values.workers, true) ?? config.workers ?? 1,
    maxPasses: positiveNumber('max-passes', values['max-passes'], true) ?? config.maxPasses ?? 4,
    budgetUsd: positiveNumber('budget-usd', values['budget-usd'], false) ?? config.budgetUsd,
    state: values.state !== undefined ? resolve(cwd, values.state) : config.state !== undefined ? resolve(cwd, config.state) : undefined,
    workerMinutes: positiveNumber('worker-minutes', values['worker-minutes'], false) ?? config.workerMinutes ?? 90,
    maxDiscovered: config.maxDiscovered ?? 20,
    cwd,
  };
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
