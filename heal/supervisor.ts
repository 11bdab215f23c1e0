// The heal supervisor: `nightshift run` is this process, and the loop is its child (`loop/main.ts`),
// so a loop that stops short of done comes back here, where the (locked) heal pass and tripwire run.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const LOOP_MAIN = fileURLToPath(new URL('../loop/main.ts', import.meta.url));

/** Runs the loop as a child with the terminal passed through, and returns its exit code. */
export async function superviseRun(argv: string[], loopMain = LOOP_MAIN): Promise<number> {
  const child = execa(process.execPath, [loopMain, 'run', ...argv], { stdio: 'inherit', reject: false });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const result = await child;
    return result.exitCode ?? 1;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
