// What `--executor queue` adds to a pass in the operator's picture: the worker that ran its agent (from
// the loop's `queue-progress`, `queue-resume` and `queue-job` events) and the commit a redelivered job
// resumed from, with the live view's phrase for each of those events.
import type { LoopEvent } from '../state/state.ts';

/** `--executor queue`: the worker that ran (or, last, took) the pass's agent, and the commit it resumed from. */
export type QueuePass = { worker?: string | undefined; resumedFrom?: string | undefined };

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Records a queue event on its pass; the phrase for the live view, undefined for any other event. */
export function queueNote(pass: QueuePass | undefined, e: LoopEvent): string | undefined {
  const worker = str(e.worker);
  switch (e.type) {
    case 'queue-progress':
      if (pass && worker) pass.worker = worker;
      return `${str(e.stage) ?? '?'} on ${worker ?? '?'}`;
    case 'queue-resume':
      if (pass) Object.assign(pass, { worker: worker ?? pass.worker, resumedFrom: str(e.from) });
      return `resumed on ${worker ?? '?'} from ${(str(e.from) ?? '').slice(0, 8)}`;
    case 'queue-job':
      if (e.state === 'completed' && pass && worker) pass.worker = worker;
      if (e.state === 'not-taken') return `no worker took the job in ${Math.round(Number(e.waited_ms ?? 0) / 1_000)} s`;
      return e.state === 'added' ? 'queued for a worker' : `job ${str(e.state) ?? '?'}${worker ? ` on ${worker}` : ''}`;
    default:
      return undefined;
  }
}
