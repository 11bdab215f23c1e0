// `nightshift report [RUN|STATE_DIR] [--html] [--out FILE]`: the text summary of a batch on stdout, or
// the self-contained HTML report written atomically to a file (default: report.html in the state dir).
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import writeFileAtomic from 'write-file-atomic';
import { UsageError } from '../../trackers/errors.ts';
import { readRunConfig } from '../../oracle/run-options.ts';
import { renderHtmlReport } from './html.ts';
import { loadStateDir, resolveReportTarget } from './load.ts';
import { renderTextReport } from './text.ts';

/** What a command of the CLI gets (structurally the `Io` of heal/cli.ts). */
export type CommandIo = { stdout: (text: string) => void; stderr: (text: string) => void; env: NodeJS.ProcessEnv; cwd: string };

export const REPORT_USAGE = `usage: nightshift report [RUN|STATE_DIR] [--html] [--out FILE]

Summarizes a batch from its state dir (events.jsonl, run.json, the oracle's last answer): every worker
pass per ticket, review verdicts, replays, reverts, discovered tickets, heals with their tripwire
verdicts, interventions by kind, cost and time per ticket, and the oracle's final verdict.

  STATE_DIR  a run's state dir (printed at the end of every run); covers every run of that batch
  RUN        a run id (e.g. 20261121T154943-cff81c) under the default state root; covers that run only
  (none)     the "state" of ./nightshift.config.json if set, else the most recently active state dir
             under $XDG_STATE_HOME/nightshift (default ~/.local/state/nightshift)
  --html     write a self-contained HTML report (no script, no network) instead of text
  --out FILE where to write (default for --html: STATE_DIR/report.html; text goes to stdout)

examples:
  nightshift report ~/.local/state/nightshift/myrepo-1a2b3c4d/nightshift-d3de6ce0
  nightshift report --html --out report.html /tmp/demo/state && xdg-open report.html`;

export async function runReportCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { html: { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new UsageError('bad-flag', `${(error as Error).message}\n\n${REPORT_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${REPORT_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('bad-flag', `report takes at most one RUN or STATE_DIR, got ${positionals.length}: ${positionals.join(' ')}.\n\n${REPORT_USAGE}`);
  const configured = positionals[0] === undefined ? readRunConfig(undefined, io.cwd).state : undefined;
  const target: { dir: string; run?: string } = configured !== undefined ? { dir: configured } : resolveReportTarget(positionals[0], io.env, io.cwd);
  const state = loadStateDir(target.dir, target.run ? { run: target.run } : {});
  const out = values.out !== undefined ? resolve(io.cwd, values.out) : values.html ? join(state.dir, target.run ? `report-${target.run}.html` : 'report.html') : undefined;
  if (out !== undefined && (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory())) {
    throw new UsageError('bad-flag', `--out ${values.out ?? out}: the directory ${dirname(out)} does not exist. Create it or choose another file (nothing was written).`);
  }
  const content = values.html ? renderHtmlReport(state, target.run ? { run: target.run } : {}) : renderTextReport(state, target.run ? { run: target.run } : {});
  if (out === undefined) {
    io.stdout(content);
    return 0;
  }
  writeFileAtomic.sync(out, content);
  io.stdout(`${values.html ? 'HTML report' : 'report'} written to ${out}\n`);
  return 0;
}
