// The oracle's command-line options: BATCH, the tracker, the repo and target branch, optionally
// from nightshift.config.json (only the keys the oracle needs are read there; flags win).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseBatch } from '../trackers/batch.ts';
import type { Batch } from '../trackers/batch.ts';
import { parseGithubBatch } from '../trackers/github-batch.ts';
import { UsageError, formatZodIssues } from '../trackers/errors.ts';
import type { TrackerConfig } from '../trackers/open.ts';

export type OracleOptions = {
  batch: Batch;
  tracker: TrackerConfig;
  repo: string;
  targetBranch: string;
  json: boolean;
  /** Answer one question per line of stdin, each afresh, until its end (implies --json). */
  serve: boolean;
};

const OracleConfig = z.looseObject({
  tracker: z.enum(['local', 'linear', 'jira', 'github']).optional(),
  tickets: z.string().optional(),
  repo: z.string().optional(),
  targetBranch: z.string().optional(),
});

export const ORACLE_USAGE = `usage: nightshift oracle <BATCH> --tracker local|linear|jira|github [--tickets FILE] --repo DIR [--target-branch main] [--config FILE] [--json] [--serve]

Exits 0 when every ticket of the batch is done with a verified receipt or human-gated with a reason,
1 when some are not, 2 when it cannot tell (tracker error, empty batch, a key of the range missing).

--serve answers many questions from one process (what the loop uses): each line read on stdin is a
question, answered by reading the tracker and git afresh, as one JSON line (the --json object plus
"question": the line read); the process exits 0 at the end of its input.

example: nightshift oracle DEMO-1..DEMO-10 --tracker local --tickets tickets.json --repo ./demo`;

export function parseOracleArgs(argv: string[], cwd: string): OracleOptions {
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
        config: { type: 'string' },
        json: { type: 'boolean', default: false },
        serve: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError('bad-flag', `nightshift oracle: ${(error as Error).message}\n\n${ORACLE_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError('bad-batch', `nightshift oracle takes exactly one BATCH, got ${positionals.length}.\n\n${ORACLE_USAGE}`);
  }
  const config = readOracleConfig(values.config, cwd);
  const tracker = values.tracker ?? config.tracker;
  if (tracker !== 'local' && tracker !== 'linear' && tracker !== 'jira' && tracker !== 'github') {
    throw new UsageError('bad-flag', `nightshift oracle: --tracker must be local, linear, jira or github${tracker ? `, not "${tracker}"` : ''}.\n\n${ORACLE_USAGE}`);
  }
  const repo = values.repo ?? config.repo;
  if (!repo) throw new UsageError('bad-flag', `nightshift oracle: --repo DIR is required (the repository the tickets merge into).\n\n${ORACLE_USAGE}`);
  const tickets = values.tickets ?? config.tickets;
  return {
    batch: tracker === 'github' ? parseGithubBatch(positionals[0]) : parseBatch(positionals[0]),
    tracker: { kind: tracker, tickets: tickets === undefined ? undefined : resolve(cwd, tickets) },
    repo: resolve(cwd, repo),
    targetBranch: values['target-branch'] ?? config.targetBranch ?? 'main',
    json: values.json || values.serve,
    serve: values.serve,
  };
}

function readOracleConfig(path: string | undefined, cwd: string): z.infer<typeof OracleConfig> {
  const file = resolve(cwd, path ?? 'nightshift.config.json');
  if (path === undefined && !existsSync(file)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError('bad-config', `config file ${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  const parsed = OracleConfig.safeParse(json);
  if (!parsed.success) throw new UsageError('bad-config', `config file ${file} is invalid:\n${formatZodIssues(parsed.error.issues)}`);
  return parsed.data;
}
