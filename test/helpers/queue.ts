// What the queue executor's tests share: polling for something a real process does (no fixed sleeps),
// reading a JSON-lines log, a worker's own events (`worker.jsonl` in its work dir), and stopping the
// worker processes a test started (a stalled agent released first, then SIGTERM, then their exits).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResultPromise } from 'execa';

/** Polls `probe` every 50 ms until it gives a value, for at most `ms`; the error names `what`. */
export async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await sleep(50);
  }
}

/** Every line of a JSON-lines file so far (none when it does not exist yet). */
export function readJsonl<T>(file: string): T[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as T) : [];
}

/** Every event of a worker's work dir so far. */
export function workerEvents<T>(dir: string): T[] {
  return readJsonl<T>(join(dir, 'worker.jsonl'));
}

/** Releases agents stalled on `marks/release`, ends the workers by SIGTERM and waits for their exits. */
export async function stopWorkers(marks: string, pids: number[], workers: ResultPromise[]): Promise<void> {
  mkdirSync(marks, { recursive: true });
  writeFileSync(join(marks, 'release'), '');
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // a worker the test killed
    }
  }
  await Promise.all(workers);
}
