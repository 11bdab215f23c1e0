// `node loop/main.ts demo-setup [DIR]`: makes the demo's repo and tickets file and prints the set-up as
// one JSON line (dir, repo, tickets, state, runArgs), which `nightshift demo` then runs. The demo must run
// on a fresh machine: where bubblewrap cannot run, its scripted agents run with `--sandbox off` (the run
// then shows the sandbox-off warning); a real run still stops and names the package to install.
import { probeBwrap } from '../sandbox/bwrap.ts';
import { setupDemo } from './setup.ts';

export async function runDemoSetupCommand(argv: string[], io: { stdout: (text: string) => void; cwd: string; env?: NodeJS.ProcessEnv }): Promise<number> {
  const setup = await setupDemo(argv[0], io.cwd);
  const unsandboxed = (await probeBwrap(io.env ?? process.env)) !== undefined;
  io.stdout(`${JSON.stringify(unsandboxed ? { ...setup, runArgs: [...setup.runArgs, '--sandbox', 'off'] } : setup)}\n`);
  return 0;
}
