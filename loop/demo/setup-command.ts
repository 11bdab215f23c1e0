// `node loop/main.ts demo-setup [DIR]`: makes the demo's repo and tickets file and prints the set-up as
// one JSON line (dir, repo, tickets, state, runArgs), which `nightshift demo` then runs.
import { setupDemo } from './setup.ts';

export async function runDemoSetupCommand(argv: string[], io: { stdout: (text: string) => void; cwd: string }): Promise<number> {
  const setup = await setupDemo(argv[0], io.cwd);
  io.stdout(`${JSON.stringify(setup)}\n`);
  return 0;
}
