// Plain event lines for a terminal that is not a TTY (CI, nohup, a pipe) and for the run's log:
// one timestamped line per event, greppable by ticket key.
import type { LoopEvent } from './state.ts';

type Stamped = LoopEvent & { ts: string };

export function formatEvent(event: Stamped): string | undefined {
  const time = event.ts.slice(11, 19);
  const who = event.ticket ? `${event.ticket} ` : '';
  const text = describe(event);
  return text === undefined ? undefined : `${time} ${who}${text}`;
}

function firstLine(value: unknown): string {
  return String(value ?? '').split('\n')[0]?.slice(0, 160) ?? '';
}

function describe(e: Stamped): string | undefined {
  switch (e.type) {
    case 'run-start': return `run started: batch ${String(e.batch)}, ${String(e.workers)} worker(s), agent ${String(e.agent)}, state ${String(e.state)}`;
    case 'oracle': return `oracle: ${String(e.verdict)} (${String(e.satisfied)}/${String(e.total)} satisfied)${e.problem ? ` - ${firstLine(e.problem)}` : ''}`;
    case 'pass-start': return `pass ${String(e.pass)}/${String(e.of)} started`;
    case 'agent-end': return `agent ${String(e.outcome)}${e.exit_code !== undefined ? ` (exit ${String(e.exit_code)})` : ''} after ${Math.round(Number(e.duration_ms) / 100) / 10}s`;
    case 'verify': return `finish line ${String(e.result)}${e.command ? ` at \`${String(e.command)}\`` : ''}`;
    case 'review': return `review by ${String(e.reviewer)}: ${String(e.verdict)}`;
    case 'review-invalid': return `review by ${String(e.reviewer)} invalid (try ${String(e.attempt)}): ${firstLine(e.problem)}`;
    case 'merged': return `merged into target as ${String(e.commit).slice(0, 12)}`;
    case 'merge-found': return `already merged as ${String(e.commit).slice(0, 12)} (resuming)`;
    case 'merge-conflict': return `merge conflict: ${firstLine(e.message)}`;
    case 'replay': return `replay ${String(e.result)}${e.command ? ` at \`${String(e.command)}\`` : ''}`;
    case 'reverted': return `merge ${String(e.merge).slice(0, 12)} reverted`;
    case 'ticket-done': return 'DONE (receipt written)';
    case 'pass-end': return `pass ${String(e.pass)} ended: ${String(e.outcome)}${e.outcome === 'landed' ? '' : ` - ${firstLine(e.reason)}`}`;
    case 'ticket-filed': return `filed discovered ticket (from ${String(e.from)}): ${String(e.title)}`;
    case 'run-end': return `run ended: exit ${String(e.exit_code)} - ${String(e.reason)}`;
    default: return undefined;
  }
}
