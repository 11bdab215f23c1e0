// Builds the world of a golden case in a temp dir: a real git repo with the case's merges (trailers on
// the target, off it, or missing) and the text of the tickets file, with receipts rendered in the
// frozen format (a ```nightshift-receipt fence holding JSON, as oracle/receipt.ts reads it).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { CaseTicket, GoldenCase } from './golden-case.ts';

const GIT_ENV = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const WHO = 'golden <golden@localhost> 1767225600 +0000';

function blob(text: string): string {
  return `data ${Buffer.byteLength(text)}\n${text}\n`;
}

/**
 * Creates the case's repo at `repo` (one `git fast-import`, so a case costs two processes, not twenty)
 * and returns the full id of each named merge.
 */
export async function buildRepo(golden: GoldenCase, repo: string): Promise<Map<string, string>> {
  mkdirSync(repo, { recursive: true });
  await execa('git', ['init', '-q', '-b', golden.branch, repo], { env: GIT_ENV, stdin: 'ignore' });
  const target = `refs/heads/${golden.branch}`;
  let stream = `commit ${target}\nmark :1\nauthor ${WHO}\ncommitter ${WHO}\n${blob('initial')}M 100644 inline README.md\n${blob(`golden case ${golden.name}\n`)}\n`;
  let tip = 1;
  const marks = new Map<string, number>();
  golden.git.forEach((step, index) => {
    const name = step.name ?? step.merge;
    if (marks.has(name)) throw new Error(`golden case ${golden.name}: two merges named "${name}"`);
    const work = 2 * index + 2;
    const merge = work + 1;
    const branch = `nightshift/${step.merge}-${index + 1}`;
    const base = step.onTarget ? golden.branch : `side/${name}`;
    const keys = step.trailer === null ? [] : typeof step.trailer === 'string' ? [step.trailer] : step.trailer ?? [step.merge];
    const trailers = keys.length === 0 ? '' : `\n\n${keys.map((k) => `Nightshift-Ticket: ${k}`).join('\n')}`;
    const file = `M 100644 inline ${name}.txt\n${blob(`${step.merge}\n`)}`;
    stream += `commit refs/heads/${branch}\nmark :${work}\nauthor ${WHO}\ncommitter ${WHO}\n${blob(`work on ${step.merge}`)}from :${tip}\n${file}\n`;
    stream += `commit refs/heads/${base}\nmark :${merge}\nauthor ${WHO}\ncommitter ${WHO}\n${blob(`Merge ${branch} into ${base}${trailers}`)}from :${tip}\nmerge :${work}\n${file}\n`;
    if (step.onTarget) tip = merge;
    marks.set(name, merge);
  });
  stream += `reset ${target}\nfrom :${tip}\n\n`;
  const marksFile = join(repo, '.git', 'golden-marks');
  await execa('git', ['-C', repo, 'fast-import', '--quiet', `--export-marks=${marksFile}`], { env: GIT_ENV, input: stream });
  const ids = new Map(readFileSync(marksFile, 'utf8').trim().split('\n').map((line) => line.split(' ') as [string, string]));
  return new Map([...marks].map(([name, mark]) => [name, ids.get(`:${mark}`) ?? '']));
}

function mergeId(golden: GoldenCase, merges: ReadonlyMap<string, string>, name: string): string {
  const id = merges.get(name);
  if (id === undefined) throw new Error(`golden case ${golden.name}: no merge named "${name}" in its git steps`);
  return id;
}

function renderComment(golden: GoldenCase, ticket: CaseTicket, comment: CaseTicket['comments'][number], merges: ReadonlyMap<string, string>) {
  const at = '2026-01-01T00:00:00Z';
  if ('body' in comment) {
    return { author: comment.author, at, body: comment.body.replace(/\{\{merge:([^}]+)\}\}/g, (_m, name: string) => mergeId(golden, merges, name)) };
  }
  const r = comment.receipt;
  const json = {
    version: 1,
    ticket: r.ticket ?? ticket.key,
    merge_commit: mergeId(golden, merges, r.merge),
    target_branch: r.target_branch,
    replay: r.replay,
    replay_digest: 'sha256:golden',
    reviewers: [{ agent: 'golden-a', verdict: 'approve' }, { agent: 'golden-b', verdict: 'approve' }],
    run: 'golden',
  };
  return { author: 'nightshift', at, body: `nightshift receipt (golden case)\n\n\`\`\`nightshift-receipt\n${JSON.stringify(json)}\n\`\`\`` };
}

/** The local tickets file text of a case (also the seed a simulator is started with). */
export function ticketsText(golden: GoldenCase, merges: ReadonlyMap<string, string>): string | undefined {
  const tracker = golden.tracker;
  if ('raw' in tracker) return tracker.raw;
  if ('absent' in tracker) return undefined;
  return `${JSON.stringify({
    project: tracker.project,
    tickets: tracker.tickets.map((t) => ({
      key: t.key,
      title: t.title ?? `Golden ticket ${t.key}`,
      description: `Golden case ticket.\n\n\`\`\`verify\ntrue\n\`\`\``,
      state: t.state,
      labels: t.labels,
      blockedBy: [],
      comments: t.comments.map((c) => renderComment(golden, t, c, merges)),
    })),
  }, null, 2)}\n`;
}
