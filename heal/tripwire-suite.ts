// Check 5 of the tripwire: the candidate typechecks (`tsc --noEmit -p <candidate>`) and passes its fast
// unit suite (the vitest project `fast` of test/vitest.config.ts, which leaves out the tripwire's own
// corpus and the slow suites, so the check cannot recurse into itself). Both tools are the trusted ones.
import { join } from 'node:path';
import { execa } from 'execa';
import { cleanEnv } from './golden.ts';

/** The vitest project the tripwire runs; test/vitest.config.ts defines it. */
export const FAST_PROJECT = 'fast';

function tail(text: string, lines: number): string[] {
  return text.trim().split('\n').filter((l) => l.trim() !== '').slice(-lines);
}

export async function checkTypes(input: { trusted: string; candidate: string; home: string }): Promise<string[]> {
  const tsc = await execa(process.execPath, [join(input.trusted, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', input.candidate], {
    cwd: input.candidate, env: cleanEnv(input.home), extendEnv: false, reject: false, stdin: 'ignore', timeout: 300_000, all: true,
  });
  if (tsc.exitCode === 0) return [];
  const errors = (tsc.all ?? '').split('\n').filter((l) => /error TS\d+/.test(l));
  const shown = (errors.length > 0 ? errors : tail(tsc.all ?? '', 3)).slice(0, 5);
  return [`tsc --noEmit fails (${errors.length} errors): ${shown.join(' | ')}`];
}

export async function checkUnitSuite(input: { trusted: string; candidate: string; home: string; signal?: AbortSignal }): Promise<string[]> {
  const vitest = await execa(process.execPath, [join(input.trusted, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', join(input.candidate, 'test', 'vitest.config.ts'),
    // two workers even on two cores: the suite mostly waits on the processes it starts (measured: 42 -> 26 s)
    '--project', FAST_PROJECT, '--reporter', 'dot', '--maxWorkers', '2'], {
    cwd: input.candidate, env: cleanEnv(input.home, { CI: 'true' }), extendEnv: false, reject: false, stdin: 'ignore', timeout: 600_000, all: true,
    ...(input.signal ? { cancelSignal: input.signal, forceKillAfterDelay: 2_000 } : {}),
  });
  if (vitest.exitCode === 0) return [];
  if (vitest.isCanceled) return ['cancelled'];
  const failed = (vitest.all ?? '').split('\n').filter((l) => /FAIL|✗|×/.test(l)).map((l) => l.trim()).slice(0, 5);
  const summary = tail(vitest.all ?? '', 4).join(' | ');
  return [`the fast unit suite fails (vitest --project ${FAST_PROJECT}, exit ${vitest.exitCode ?? vitest.signal}): ${failed.length > 0 ? failed.join(' | ') : summary}`];
}
