// The live view on a TTY: the batch's block (loop/tty/block.ts) redrawn in place at the bottom of the
// terminal, with the notable events scrolling above it. Each frame is one write wrapped in the
// synchronized-output escapes, moves up over only the lines it drew before, overwrites them line by
// line (clearing each line's old tail) and clears below; rows are cut to the terminal width so none wraps.
import { applyEvent, emptyModel } from '../report/model.ts';
import type { StampedEvent } from '../report/model.ts';
import { formatEvent } from './view.ts';
import { renderBlock } from './block.ts';
import { renderRow } from './text.ts';
import type { Style } from './text.ts';

export type LiveViewOptions = {
  write: (text: string) => void;
  columns: () => number;
  rows: () => number;
  color: boolean;
  budgetUsd: number | undefined;
  now?: () => number;
  /** Redraw at least this often, so elapsed times tick; 0 turns the timer off (tests). */
  tickMs?: number;
  /**
   * The state dir's events so far, read when this run starts: a restarted or healed loop continues a
   * batch, so earlier runs' cost, heals and interventions count (their events are not printed).
   */
  history?: (stateDir: string) => Iterable<StampedEvent>;
};

export type LiveView = {
  onEvent: (event: StampedEvent) => void;
  /** Draws a frame now (the view also draws on its own, coalescing bursts of events). */
  flush: () => void;
  /** Draws the last frame, leaves it on screen, and shows the cursor again. */
  close: () => void;
};

const NOTABLE: Record<string, Style> = {
  'run-start': 'bold', 'pass-end': 'dim', 'ticket-filed': 'magenta', reverted: 'red',
  'merge-conflict': 'red', 'ticket-gated': 'yellow', 'foreign-target-move': 'red', 'tracker-error': 'red', thrash: 'yellow', 'run-end': 'bold', 'heal-start': 'yellow', 'heal-end': 'yellow', intervention: 'yellow', 'intervention-request': 'yellow',
};

export const SYNC_START = '\x1b[?2026h';
export const SYNC_END = '\x1b[?2026l';

export function createLiveView(options: LiveViewOptions): LiveView {
  const now = options.now ?? Date.now;
  const model = emptyModel();
  const pending: Array<{ text: string; style: Style }> = [];
  let drawn = 0;
  let scheduled: NodeJS.Timeout | undefined;
  let closed = false;
  options.write('\x1b[?25l');
  const restoreCursor = () => options.write('\x1b[?25h');
  process.once('exit', restoreCursor);
  const timer = options.tickMs === 0 ? undefined : setInterval(() => draw(), options.tickMs ?? 1000);
  timer?.unref();

  function draw(): void {
    if (scheduled) clearTimeout(scheduled);
    scheduled = undefined;
    const width = Math.max(20, options.columns() - 1);
    const maxWorkers = Math.max(1, options.rows() - 5);
    const lines = [
      ...pending.splice(0).map((line) => renderRow([{ text: line.text, style: line.style }], width, options.color)),
    ];
    const block = renderBlock(model, { now: now(), budgetUsd: options.budgetUsd, maxWorkers, phase: closed ? 'ended after' : 'running' })
      .map((row) => renderRow(row, width, options.color));
    let frame = SYNC_START;
    if (drawn > 0) frame += `\x1b[${drawn}A\r`;
    // overwrite, then clear what is left of the old line: no line is ever blank between frames
    for (const line of [...lines, ...block]) frame += `${line}\x1b[K\n`;
    frame += `\x1b[J${SYNC_END}`;
    drawn = block.length;
    options.write(frame);
  }

  return {
    onEvent(event) {
      if (event.type === 'run-start' && typeof event.state === 'string' && options.history) {
        for (const earlier of options.history(event.state)) if (earlier.run !== event.run) applyEvent(model, earlier);
      }
      applyEvent(model, event);
      const style = NOTABLE[event.type];
      const line = style ? formatEvent(event) : undefined;
      if (line) pending.push({ text: line, style: event.type === 'pass-end' && event.outcome === 'landed' ? 'green' : style ?? 'dim' });
      if (!scheduled && !closed) scheduled = setTimeout(() => draw(), 40);
    },
    flush: draw,
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      draw();
      restoreCursor();
      process.off('exit', restoreCursor);
    },
  };
}
