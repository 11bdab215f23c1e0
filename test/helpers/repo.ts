// Real git repositories and tickets files in temp dirs for tests, and the processes a test left running.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa('git', args, {
    cwd,
    env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' },
  });
  return result.stdout.trim();
}

export function tempDir(prefix = 'nightshift-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A repo on `main` with the given files committed. */
export async function makeRepo(dir: string, files: Record<string, string>): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

export type TicketSpec = {
  key: string;
  title?: string;
  description?: string;
  verify?: string[];
  state?: 'todo' | 'in_progress' | 'done' | 'canceled';
  labels?: string[];
  blockedBy?: string[];
  comments?: Array<{ author: string; body: string; at: string }>;
};

export function writeTickets(path: string, project: string, tickets: TicketSpec[]): string {
  writeFileSync(path, `${JSON.stringify({
    project,
    tickets: tickets.map((t) => ({
      key: t.key,
      title: t.title ?? `Ticket ${t.key}`,
      description: `${t.description ?? `Work on ${t.key}.`}${t.verify ? `\n\n\`\`\`verify\n${t.verify.join('\n')}\n\`\`\`` : ''}`,
      state: t.state ?? 'todo',
      labels: t.labels ?? [],
      blockedBy: t.blockedBy ?? [],
      comments: t.comments ?? [],
    })),
  }, null, 2)}\n`);
  return path;
}

/** Processes whose whole command line is `argv` (e.g. a scripted agent's `sleep 600`), in any PID namespace this one can see. */
export function countProcesses(argv: string[]): number {
  const wanted = `${argv.join('\0')}\0`;
  let count = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8') === wanted) count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}
