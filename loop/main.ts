#!/usr/bin/env node
// The loop as its own process (`node loop/main.ts run <BATCH> ...`): the heal supervisor runs it as a
// child so a healed loop is a new process from the healed code. Prints plain event lines and a summary.
import { FatalError } from '../trackers/errors.ts';
import { parseRunArgs } from './options.ts';
import { runBatch } from './run.ts';
import { formatEvent } from './view.ts';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'run') {
    process.stderr.write('usage: node loop/main.ts run <BATCH> ... (see `nightshift run --help`)\n');
    return 2;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const options = parseRunArgs(rest, process.cwd());
    const summary = await runBatch(options, {
      env: process.env,
      signal: controller.signal,
      onEvent: (event) => {
        const line = formatEvent(event);
        if (line) process.stdout.write(`${line}\n`);
      },
    });
    process.stdout.write(`\nnightshift: ${summary.reason} (exit ${summary.exitCode})\nstate dir: ${summary.stateDir}\nevents:    ${summary.stateDir}/events.jsonl\n`);
    return summary.exitCode;
  } catch (error) {
    if (error instanceof FatalError) {
      process.stderr.write(`nightshift: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`nightshift: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
