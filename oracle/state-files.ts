// Where a run keeps its state by default, and how its event log is read back. Frozen: the supervisor
// finds the loop's last stop here (a healed loop writes the events; this reading of them stays fixed).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/** Default state dir: outside the repo and every worktree, one per repo and batch. */
export function defaultStateDir(repo: string, label: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  const repoId = `${basename(repo)}-${createHash('sha256').update(resolve(repo)).digest('hex').slice(0, 8)}`;
  return join(base, 'nightshift', repoId, label);
}

/** One event of the JSONL log, as read back: `type` says what happened, the rest are its facts. */
export type StoredEvent = { type: string; ticket?: string; ts: string; run: string; [field: string]: unknown };

export function readEvents(path: string): StoredEvent[] {
  if (!existsSync(path)) return [];
  const events: StoredEvent[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as StoredEvent);
    } catch {
      // a line cut short by a crash: the rest of the log still counts
    }
  }
  return events;
}
