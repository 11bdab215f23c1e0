// `nightshift audit <BATCH> --tracker ... --repo DIR [--target-branch main] [--workers N] [--report-only] [--json]`:
// the final audit as a command of its own (the supervisor runs the same function at the end of a run).
// Exit 0 every done ticket's finish line passes on the final head, 1 some failed (reopened unless
// --report-only), 2 cannot tell.
import { UsageError } from '../trackers/errors.ts';
import { runAudit } from './audit.ts';
import type { AuditReport } from './audit.ts';
import { parseOracleArgs } from './options.ts';

export const AUDIT_USAGE = `usage: nightshift audit <BATCH> --tracker local|linear|jira [--tickets FILE] --repo DIR [--target-branch main]
                        [--workers N] [--timeout-minutes M] [--setup CMD]... [--no-setup] [--report-only] [--json]

Runs the finish line of every ticket the oracle counts as done (through a receipt) on the target's
current head, in a clean worktree prepared as the loop prepares one (--setup, or detected from the
lockfiles: package-lock.json -> npm ci ...), identical command lists once, up to --workers at a time
(default 2).
A failure writes an audit comment that supersedes the ticket's receipt and reopens it (--report-only:
write nothing). Exit 0 all pass, 1 some failed, 2 cannot tell.

example: nightshift audit DEMO-1..DEMO-10 --tracker local --tickets tickets.json --repo ./demo`;

type Io = { stdout: (text: string) => void; stderr: (text: string) => void; env: NodeJS.ProcessEnv; cwd: string };

function takeNumber(argv: string[], flag: string, fallback: number): number {
  const at = argv.indexOf(flag);
  if (at < 0) return fallback;
  const text = argv[at + 1];
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value <= 0) throw new UsageError('bad-flag', `nightshift audit: ${flag} takes a positive number, not "${text ?? ''}".\n\n${AUDIT_USAGE}`);
  argv.splice(at, 2);
  return value;
}

function takeFlag(argv: string[], flag: string): boolean {
  const at = argv.indexOf(flag);
  if (at >= 0) argv.splice(at, 1);
  return at >= 0;
}

export async function runAuditCommand(argvIn: string[], io: Io): Promise<number> {
  if (argvIn.includes('--help') || argvIn.includes('-h')) {
    io.stdout(`${AUDIT_USAGE}\n`);
    return 0;
  }
  const argv = [...argvIn];
  const workers = Math.floor(takeNumber(argv, '--workers', 2));
  const timeoutMs = takeNumber(argv, '--timeout-minutes', 30) * 60_000;
  const reportOnly = takeFlag(argv, '--report-only');
  const noSetup = takeFlag(argv, '--no-setup');
  const setup: string[] = [];
  for (let at = argv.indexOf('--setup'); at >= 0; at = argv.indexOf('--setup')) {
    const command = argv[at + 1];
    if (command === undefined || command.trim() === '') throw new UsageError('bad-flag', `nightshift audit: --setup needs a command, e.g. --setup "npm ci".\n\n${AUDIT_USAGE}`);
    setup.push(command);
    argv.splice(at, 2);
  }
  const options = parseOracleArgs(argv, io.cwd);
  const report = await runAudit({ options, env: io.env, workers, timeoutMs, reopen: !reportOnly, setup: noSetup ? [] : setup.length > 0 ? setup : undefined });
  if (options.json) io.stdout(`${JSON.stringify(report)}\n`);
  else io.stdout(describeAudit(report));
  return report.exitCode;
}

/** The audit as text: one line per ticket, then the verdict. */
export function describeAudit(report: AuditReport): string {
  if (report.kind === 'cannot-tell') return `audit: CANNOT TELL - ${report.problem}\n`;
  const lines = report.tickets.map((t) => (t.result === 'passed'
    ? `${t.key}  passed  (${t.commands} command(s), ${(t.ms / 1000).toFixed(1)} s)`
    : `${t.key}  FAILED  \`${t.command}\` ${t.exit}${report.reopened.includes(t.key) ? ' (reopened)' : ''}`));
  const failed = report.tickets.filter((t) => t.result === 'failed').length;
  lines.push(`audit: ${failed === 0 ? 'PASSED' : 'FAILED'} - ${report.tickets.length - failed} of ${report.tickets.length} done tickets' finish lines pass on ${report.targetBranch} at ${report.head.slice(0, 12)}`);
  return `${lines.join('\n')}\n`;
}
