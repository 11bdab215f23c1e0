// Reading a run's state dir from outside the loop (`status`, `report`, the end-of-run summary): the
// event log folded into a model, run.json, the oracle's last per-ticket answer, and whether the loop
// that owns it is alive. Also finds state dirs under the default root, and a state dir by run id.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../../trackers/errors.ts';
import { closeOpenPasses, foldEvents } from './model.ts';
import type { BatchModel, InterventionRecord, StampedEvent } from './model.ts';
import { readEvents } from '../../oracle/state-files.ts';
import { isAlive } from '../process/alive.ts';

const RunJson = z.looseObject({
  run: z.string().optional(),
  pid: z.number().optional(),
  batch: z.string().optional(),
  repo: z.string().optional(),
  budgetUsd: z.number().optional(),
  budgetUsdPerDay: z.number().optional(),
  budgetUsdPerTicket: z.number().optional(),
  started: z.string().optional(),
});
const InterventionLine = z.looseObject({
  at: z.string(),
  run: z.string().optional(),
  type: z.enum(['request', 'touch']).optional(),
  kind: z.string(),
  ticket: z.string().optional(),
  reason: z.string().optional(),
  note: z.string().optional(),
});
const OracleJson = z.looseObject({
  verdict: z.string(),
  tickets: z.array(z.object({ key: z.string(), satisfied: z.boolean(), via: z.string().nullable(), reason: z.string() })),
});

/**
 * `running`: the loop's pid is alive and its run has not ended; `stopped`: it died mid-run;
 * `healing`: its last run ended and a heal pass started after it has not ended.
 */
export type LoopLiveness = 'running' | 'healing' | 'finished' | 'stopped' | 'never-started';

export type LoadedState = {
  dir: string;
  events: StampedEvent[];
  model: BatchModel;
  runJson: z.infer<typeof RunJson> | undefined;
  oracleTickets: z.infer<typeof OracleJson>['tickets'] | undefined;
  liveness: LoopLiveness;
  pid: number | undefined;
};

/** The root the loop's default state dirs live under: `$XDG_STATE_HOME/nightshift` (or ~/.local/state). */
export function defaultStateRoot(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'nightshift');
}

export function isStateDir(dir: string): boolean {
  return existsSync(join(dir, 'events.jsonl')) || existsSync(join(dir, 'run.json'));
}

export function loadStateDir(dirArg: string, options: { run?: string } = {}): LoadedState {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError('no-state-dir', `${dir} is not a directory. Give the state dir of a run (printed at the end of \`nightshift run\`), or run \`nightshift status\` to list them.`);
  }
  if (!isStateDir(dir)) {
    throw new UsageError('no-state-dir', `${dir} is not a nightshift state dir (it has no events.jsonl or run.json). Run \`nightshift status\` to list the state dirs.`);
  }
  const all = readEvents(join(dir, 'events.jsonl'));
  const events = options.run ? all.filter((e) => e.run === options.run) : all;
  const runJson = readJson(join(dir, 'run.json'), RunJson);
  const oracle = readOracle(join(dir, 'oracle.last.json'));
  const pidText = existsSync(join(dir, 'loop.pid')) ? readFileSync(join(dir, 'loop.pid'), 'utf8').trim() : '';
  const pid = /^\d+$/.test(pidText) ? Number(pidText) : undefined;
  const model = foldEvents(events);
  const recorded = readInterventions(join(dir, 'interventions.jsonl'));
  if (recorded) model.interventions = options.run ? recorded.filter((i) => i.run === options.run) : recorded;
  const lastRun = foldEvents(all).runs.at(-1);
  const afterEnd = lastRun?.end ? all.filter((e) => e.ts >= (lastRun.end ?? '')) : [];
  const healing = afterEnd.some((e) => e.type === 'heal-start') && !afterEnd.some((e) => e.type === 'heal-end');
  const liveness: LoopLiveness = !lastRun ? 'never-started'
    : healing ? 'healing'
    : lastRun.end ? 'finished'
    : pid !== undefined && isAlive(pid) ? 'running' : 'stopped';
  if (liveness !== 'running' && model.last) closeOpenPasses(model, model.last);
  return { dir, events, model, runJson, oracleTickets: oracle?.tickets, liveness, pid };
}

function readJson<T>(path: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** interventions.jsonl (requests by the loop, touches by `nightshift intervene`): the record of them. */
function readInterventions(path: string): InterventionRecord[] | undefined {
  if (!existsSync(path)) return undefined;
  const records: InterventionRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      const parsed = InterventionLine.safeParse(JSON.parse(line));
      if (!parsed.success) continue;
      const i = parsed.data;
      records.push({ ts: i.at, run: i.run ?? '', type: i.type ?? 'touch', kind: i.kind, note: i.note ?? i.reason ?? '', ticket: i.ticket });
    } catch {
      // an empty or cut line
    }
  }
  return records;
}

/** The oracle's log holds its output; the JSON answer is its last parseable line (empty mid-ask). */
function readOracle(path: string): z.infer<typeof OracleJson> | undefined {
  if (!existsSync(path)) return undefined;
  for (const line of readFileSync(path, 'utf8').trim().split('\n').reverse()) {
    try {
      const parsed = OracleJson.safeParse(JSON.parse(line));
      if (parsed.success) return parsed.data;
    } catch {
      // not the JSON line
    }
  }
  return undefined;
}

/** Every state dir under the root (`<root>/<repo-id>/<label>`), most recently active first. */
export function listStateDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  const dirs: Array<{ dir: string; mtime: number }> = [];
  for (const repoId of safeReaddir(root)) {
    for (const label of safeReaddir(join(root, repoId))) {
      const dir = join(root, repoId, label);
      if (!isStateDir(dir)) continue;
      const events = join(dir, 'events.jsonl');
      dirs.push({ dir, mtime: existsSync(events) ? statSync(events).mtimeMs : statSync(dir).mtimeMs });
    }
  }
  return dirs.sort((a, b) => b.mtime - a.mtime).map((d) => d.dir);
}

function safeReaddir(dir: string): string[] {
  try {
    return statSync(dir).isDirectory() ? readdirSync(dir) : [];
  } catch {
    return [];
  }
}

/**
 * `report`'s argument: a state dir (a path), or a run id looked up in run.json and the event logs of
 * the state dirs under the default root. No argument: the most recently active state dir there.
 */
export function resolveReportTarget(arg: string | undefined, env: NodeJS.ProcessEnv, cwd: string): { dir: string; run?: string } {
  const root = defaultStateRoot(env);
  if (arg === undefined) {
    const latest = listStateDirs(root)[0];
    if (!latest) throw new UsageError('no-runs', `no nightshift runs under ${root}. Pass the state dir of a run (\`nightshift report DIR\`), e.g. the one \`nightshift run --state DIR\` used.`);
    return { dir: latest };
  }
  const asPath = resolve(cwd, arg);
  if (existsSync(asPath) || arg.includes('/') || arg.startsWith('.')) return { dir: asPath };
  if (/^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$/.test(arg)) {
    for (const dir of listStateDirs(root)) {
      const path = join(dir, 'events.jsonl');
      if (existsSync(path) && readFileSync(path, 'utf8').includes(`"run":"${arg}"`)) return { dir, run: arg };
    }
    throw new UsageError('unknown-run', `no run ${arg} in the state dirs under ${root}. A run kept elsewhere is reported by its state dir: \`nightshift report DIR\`.`);
  }
  throw new UsageError('no-state-dir', `"${arg}" is neither a state dir nor a run id (like 20261121T154943-cff81c). Run \`nightshift status\` to list the runs.`);
}
