// The GitHub batch syntax and key mapping: `owner/repo#120..#134`, `owner/repo#120,#131` (items may mix
// both) or `owner/repo label:NAME`; issue N of repo `owner/name` is the ticket key `NAME-N` (the repo
// name upper-cased, other characters as `_`), so keys, branches and trailers look as for other trackers.
import { MAX_BATCH_KEYS, batchLabel, parseBatch } from './batch.ts';
import type { Batch } from './batch.ts';
import { UsageError } from './errors.ts';

/** A repository as `owner/name`. */
export type RepoRef = { owner: string; name: string };

const REPO = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;
const SYNTAX = 'Use owner/repo#120..#134, owner/repo#120,#131 or "owner/repo label:NAME".';

/** Parses `owner/name`; a bad one is a UsageError naming where it came from. */
export function parseRepo(text: string, where: string): RepoRef {
  const match = REPO.exec(text.trim());
  if (!match?.[1] || !match[2] || match[2] === '.' || match[2] === '..') {
    throw new UsageError('bad-github-repo', `${where}: "${text}" is not a GitHub repository. Write it as owner/name, e.g. octo-org/widgets.`);
  }
  return { owner: match[1], name: match[2] };
}

/** The key prefix of a repository's issues: `widgets` -> `WIDGETS`, `hello-world` -> `HELLO_WORLD`. */
export function keyPrefix(repo: RepoRef): string {
  const upper = repo.name.toUpperCase().replace(/[^A-Z0-9_]/g, '_').replace(/^[^A-Z]+/, '');
  return upper === '' ? 'GH' : upper;
}

/** `owner/repo#…` or `owner/repo label:…` batches name their repository; `ENG-1..ENG-5` ones do not. */
export function namesRepo(spec: string): boolean {
  return /^[^\s#]+\/[^\s#]+(#|\s+label:)/i.test(spec.trim());
}

/** The repository a GitHub batch spec names (the spec must satisfy `namesRepo`). */
export function batchRepo(spec: string): RepoRef {
  const at = spec.trim().search(/#|\s+label:/i);
  return parseRepo(spec.trim().slice(0, at), `batch "${spec}"`);
}

/**
 * Parses a batch for the GitHub tracker: the GitHub forms above, or a plain key batch (`WIDGETS-1..WIDGETS-5`,
 * read in GITHUB_REPOSITORY). A label batch has no keys: it is every issue carrying the label, and
 * discovered work gets that label too.
 */
export function parseGithubBatch(input: string): Batch {
  const whole = input.trim();
  if (!namesRepo(whole)) return parseBatch(whole);
  const repo = batchRepo(whole);
  const prefix = keyPrefix(repo);
  const rest = whole.slice(whole.search(/#|\s+label:/i)).trim();
  const base = `${repo.owner}/${repo.name}`;
  if (rest.toLowerCase().startsWith('label:')) {
    const label = rest.slice('label:'.length).trim().replace(/^"(.*)"$/, '$1');
    if (label === '' || label.length > 50) throw new UsageError('bad-batch', `bad batch "${whole}": the label must have 1 to 50 characters. ${SYNTAX}`);
    return { spec: `${base} label:${label}`, keys: [], label };
  }
  const items = rest.replace(/\s+/g, '').split(',');
  const keyItems = items.map((item) => {
    const parts = item.split('..');
    if (parts.length > 2 || parts.some((p) => !/^#[1-9][0-9]*$/.test(p))) {
      throw new UsageError('bad-batch', `bad batch "${whole}": "${item}" is not an issue number or range. ${SYNTAX}`);
    }
    return parts.map((p) => `${prefix}-${p.slice(1)}`).join('..');
  });
  const keys = parseBatch(keyItems.join(',')).keys;
  if (keys.length > MAX_BATCH_KEYS) throw new UsageError('bad-batch', `bad batch "${whole}": it names more than ${MAX_BATCH_KEYS} issues.`);
  const spec = `${base}${items.join(',')}`;
  return { spec, keys, label: batchLabel(spec) };
}
