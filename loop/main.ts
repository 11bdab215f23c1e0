#!/usr/bin/env node
// The loop's own process: `node loop/main.ts <command> ...`. The frozen CLI (heal/cli.ts) never loads
// the loop's code into its own process; it runs this file as a child for the loop (`run`), its hooks,
// `status`, `report`, `serve`, `worker` (the passes of --executor queue), the demo's set-up and one
// agent run for the heal pass (`agent`), so a healed loop is always a new process from the healed code
// and frozen code never imports healable code.
import { fileURLToPath } from 'node:url';
import { FatalError } from '../trackers/errors.ts';
import { stopSpawnHelper } from './process/spawner.ts';
import { execStripped } from './process/stripped-image.ts';

type Io = { stdout: (text: string) => void; stderr: (text: string) => void; env: NodeJS.ProcessEnv; cwd: string };

const io: Io = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text), env: process.env, cwd: process.cwd() };

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  run: async (argv) => (await import('./run/run-command.ts')).runLoopCommand(argv),
  agent: async (argv) => (await import('./pass/agent-command.ts')).runAgentCommand(argv, io),
  hook: async (argv) => (await import('./safety/hook-command.ts')).runHookCommand(argv, io),
  status: async (argv) => (await import('./tty/status.ts')).runStatusCommand(argv, io),
  report: async (argv) => (await import('./report/command.ts')).runReportCommand(argv, io),
  serve: async (argv) => {
    // the dashboard runs all night: in a process without the TypeScript stripper (~20 MB) and with a
    // small young generation; where that cannot be, in this one
    execStripped({ entry: fileURLToPath(import.meta.url), argv: ['serve', ...argv], lazy: [fileURLToPath(new URL('./serve/command.ts', import.meta.url))], nodeFlags: ['--max-semi-space-size=1', '--lite-mode'] });
    return (await import('./serve/command.ts')).runServeCommand(argv, io);
  },
  worker: async (argv) => (await import('./queue/worker-command.ts')).runWorkerCommand(argv, io),
  'demo-setup': async (argv) => (await import('./demo/setup-command.ts')).runDemoSetupCommand(argv, io),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : commands[name];
  if (!command) {
    io.stderr(`usage: node loop/main.ts ${Object.keys(commands).join('|')} ... (see \`nightshift --help\`)\n`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof FatalError) {
      io.stderr(`nightshift ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`nightshift ${name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} finally {
  await stopSpawnHelper();
}
