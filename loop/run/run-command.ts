// `node loop/main.ts run <BATCH> ...`: the loop. On a TTY it draws the live view, else one plain line
// per event; at the end it prints the batch's text summary and the HTML report command.
import { join } from 'node:path';
import { FatalError } from '../../trackers/errors.ts';
import { parseRunArgs } from '../../oracle/run-options.ts';
import { loadStateDir } from '../report/load.ts';
import type { StampedEvent } from '../report/model.ts';
import { renderTextReport } from '../report/text.ts';
import { runBatch } from './start.ts';
import { readEvents } from '../../oracle/state-files.ts';
import { createLiveView } from '../tty/live-view.ts';
import { colorEnabled } from '../tty/text.ts';
import { formatEvent } from '../tty/view.ts';

type View = { onEvent: (event: StampedEvent) => void; close: () => void };

/** The live view on a TTY (NIGHTSHIFT_VIEW=plain|live overrides), plain lines otherwise. */
function chooseView(env: NodeJS.ProcessEnv, budgetUsd: number | undefined): View {
  const out = process.stdout;
  const live = env.NIGHTSHIFT_VIEW === 'live' || (env.NIGHTSHIFT_VIEW !== 'plain' && out.isTTY === true && env.TERM !== 'dumb');
  if (!live) return { onEvent: (event) => out.write(`${formatEvent(event)}\n`), close: () => undefined };
  const view = createLiveView({
    write: (text) => out.write(text),
    columns: () => out.columns || Number(env.COLUMNS) || 80,
    rows: () => out.rows || Number(env.LINES) || 24,
    color: colorEnabled(env),
    budgetUsd,
    history: (stateDir) => readEvents(join(stateDir, 'events.jsonl')),
  });
  const onResize = () => view.flush();
  out.on('resize', onResize);
  return {
    onEvent: view.onEvent,
    close() {
      out.off('resize', onResize);
      view.close();
    },
  };
}

export async function runLoopCommand(rest: string[]): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let view: View | undefined;
  try {
    const options = parseRunArgs(rest, process.cwd());
    view = chooseView(process.env, options.budgetUsd);
    const summary = await runBatch(options, { env: process.env, signal: controller.signal, onEvent: view.onEvent });
    view.close();
    process.stdout.write(`\nnightshift: ${summary.reason} (exit ${summary.exitCode})\n\n${summarize(summary.stateDir)}`);
    return summary.exitCode;
  } catch (error) {
    view?.close();
    if (error instanceof FatalError) {
      process.stderr.write(`nightshift: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`nightshift: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

/** The batch's text summary; a summary that cannot be read must not turn a finished run into a crash. */
function summarize(stateDir: string): string {
  try {
    return renderTextReport(loadStateDir(stateDir));
  } catch (error) {
    return `(no summary: ${(error as Error).message})\nstate dir: ${stateDir}\n`;
  }
}
