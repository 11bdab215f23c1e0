// Where a nightshift checkout keeps what it has seen across runs: the heals and the interventions.
// In the checkout's git dir (never in a worktree, never committed), or under the state root when
// nightshift does not run from a git checkout. NIGHTSHIFT_LEDGER_DIR overrides both (tests, CI).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execaSync } from 'execa';

/** The nightshift checkout this code runs from. */
export const CHECKOUT = fileURLToPath(new URL('..', import.meta.url));

export function ledgerDir(env: NodeJS.ProcessEnv = process.env, checkout = CHECKOUT): string {
  if (env.NIGHTSHIFT_LEDGER_DIR) return env.NIGHTSHIFT_LEDGER_DIR;
  const result = execaSync('git', ['-C', checkout, 'rev-parse', '--git-common-dir'], { reject: false, stdin: 'ignore' });
  if (result.exitCode === 0 && typeof result.stdout === 'string' && result.stdout.trim() !== '') {
    const common = result.stdout.trim();
    return join(isAbsolute(common) ? common : join(checkout, common), 'nightshift');
  }
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'nightshift', 'ledger');
}

export function appendLedger(file: 'heals.jsonl' | 'interventions.jsonl', record: object, env: NodeJS.ProcessEnv = process.env): void {
  const dir = ledgerDir(env);
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, file), `${JSON.stringify(record)}\n`);
}

export function readLedger<T>(file: 'heals.jsonl' | 'interventions.jsonl', env: NodeJS.ProcessEnv = process.env): T[] {
  const path = join(ledgerDir(env), file);
  if (!existsSync(path)) return [];
  const records: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      // a line cut short by a crash
    }
  }
  return records;
}

export type InterventionKind = 'work' | 'harness';

export type InterventionRecord = {
  at: string;
  run: string;
  batch: string;
  /** `request`: nightshift asks a person; `touch`: a person did something. */
  type: 'request' | 'touch';
  kind: InterventionKind;
  state?: string;
  ticket?: string;
  reason: string;
  evidence: string;
};

export function interventionsFile(stateDir: string): string {
  return join(stateDir, 'interventions.jsonl');
}
