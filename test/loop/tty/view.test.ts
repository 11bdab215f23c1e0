// The two faces of the run on a terminal: plain event lines (not a TTY) and the live view's frames
// (a TTY), fed the recorded batch of the report fixture.
import { describe, expect, test } from 'vitest';
import { SYNC_END, SYNC_START, createLiveView } from '../../../loop/tty/live-view.ts';
import { colorEnabled, renderRow } from '../../../loop/tty/text.ts';
import { formatEvent } from '../../../loop/tty/view.ts';
import { RUN_2, recordedEvents } from '../report/report-events.fixture.ts';

const ESC = /\x1b\[[0-9;?]*[A-Za-z]/g;
const visible = (text: string) => text.replace(ESC, '').replace(/\r/g, '');

describe('plain lines', () => {
  test('a schedule line names the tickets whose slots are kept for them', () => {
    const at = { ts: '2026-01-01T01:02:00.000Z', run: 'r' };
    const counts = { satisfied: 3, blocked: 2 };
    expect(formatEvent({ ...at, type: 'schedule', counts, started: ['ENG-5'], kept_for: ['ENG-7'] })).toBe('01:02:00 scheduled ENG-5 (3 done, 2 blocked, a slot kept for ENG-7)');
    expect(formatEvent({ ...at, type: 'schedule', counts, started: [], kept_for: ['ENG-7', 'ENG-9'] })).toBe('01:02:00 nothing new to start (3 done, 2 blocked, 2 slots kept for ENG-7, ENG-9)');
  });

  test('every event gets one timestamped line, tickets first, agent specs shortened', () => {
    const lines = recordedEvents().map(formatEvent);
    expect(lines.every((line) => /^\d\d:\d\d:\d\d \S/.test(line) && !line.includes('\n'))).toBe(true);
    expect(lines.slice(0, 8)).toMatchInlineSnapshot(`
      [
        "01:00:00 run started: batch ENG-1..ENG-3, 2 worker(s), agent agent.mjs, state (fixture)",
        "01:01:00 oracle: not-done (0/3 satisfied)",
        "01:02:00 scheduled ENG-1, ENG-2 (0 done, 1 blocked, $0.00 spent)",
        "01:03:00 ENG-1 pass 1/4 started",
        "01:04:00 ENG-1 agent agent.mjs started",
        "01:05:00 ENG-1 agent finished (exit 0) after 61s",
        "01:06:00 ENG-1 finish line failed at \`npm test\`",
        "01:07:00 ENG-1 pass 1 ended: verify-failed - the finish line failed at \`npm test\`: 1 failing ($0.40)",
      ]
    `);
    expect(lines.filter((l) => /heal|intervention|needs a person|reverted|filed/.test(l)).map((l) => l.slice(9))).toMatchInlineSnapshot(`
      [
        "ENG-4 filed discovered ticket (from ENG-2): Wire the new flag into the CLI",
        "ENG-4 merge 4444444444bb reverted",
        "ENG-4 pass 1 ended: replay-failed - merged, but the replay on the target failed at \`npm test\`, so the merge was reverted: boom ($0.30)",
        "heal started: stopped short of done: nothing is ready and nothing runs",
        "heal ended: gap, tripwire accepted - the worker prompt omitted the result file path",
        "ENG-3 needs a person (work): the staging API key is missing",
        "heal started: ENG-3: the same check failed three passes in a row",
        "heal ended: gap, tripwire rejected - relax the done rule",
        "intervention (harness): raised the worker time limit",
      ]
    `);
  });

  test('an event type this version does not know still gets its simple facts', () => {
    expect(formatEvent({ ts: '2026-11-21T03:04:05.000Z', type: 'disk-full', ticket: 'ENG-9', free_mb: 0, path: '/var' })).toBe('03:04:05 ENG-9 disk-full free_mb=0 path=/var');
  });
});

describe('live view', () => {
  function drive(options: { color: boolean; columns: number; upTo?: number }) {
    const frames: string[] = [];
    const events = recordedEvents();
    let now = Date.parse(events[0]?.ts ?? '');
    const view = createLiveView({ write: (t) => frames.push(t), columns: () => options.columns, rows: () => 30, color: options.color, budgetUsd: 25, now: () => now, tickMs: 0 });
    for (const event of events.slice(0, options.upTo ?? events.length)) {
      now = Date.parse(event.ts);
      view.onEvent(event);
      view.flush();
    }
    view.close();
    return frames;
  }

  test('each frame is one synchronized write that moves up over only the lines it drew before', () => {
    const frames = drive({ color: false, columns: 100 }).slice(1, -1);
    let drawn = 0;
    for (const frame of frames) {
      expect(frame.startsWith(SYNC_START) && frame.endsWith(SYNC_END)).toBe(true);
      if (drawn > 0) expect(frame).toContain(`${SYNC_START}\x1b[${drawn}A\r`);
      else expect(frame).not.toMatch(/\x1b\[\d+A/);
      const block = visible(frame).split('\n').slice(0, -1);
      const start = block.findIndex((line) => line.startsWith('nightshift '));
      drawn = block.length - start;
    }
  });

  test('mid-run it shows progress, one row per running worker, the oracle, cost against the budget', () => {
    const frames = drive({ color: false, columns: 100, upTo: 27 });
    // the frame before the closing one (and the cursor's return)
    const last = visible(frames.at(-3) ?? '').split('\n');
    const block = last.slice(last.findIndex((l) => l.startsWith('nightshift ')));
    expect(block.join('\n')).toMatchInlineSnapshot(`
      "nightshift ENG-1..ENG-3  running 26:00  up to 2 agent(s) at a time
      progress [█████░░░░░░░░░░░░░░░] 1/4 done · 1 running · 0 ready · 1 blocked · 0 gated
      oracle not-done 1/4  cost $1.00 of $25.00  heals 0  interventions 0 (work 0, harness 0)
        ENG-1  pass 2/4  agent.mjs              4:00  reviewer.mjs --as alpha: changes
      "
    `);
  });

  test('rows are cut to the terminal width, so none wraps', () => {
    for (const frame of drive({ color: true, columns: 40 })) {
      for (const line of visible(frame).split('\n')) expect([...line].length).toBeLessThanOrEqual(39);
    }
  });

  test('colour only when asked; NO_COLOR turns it off', () => {
    const sgr = /\x1b\[\d+m/;
    expect(drive({ color: true, columns: 100 }).some((f) => sgr.test(f))).toBe(true);
    expect(drive({ color: false, columns: 100 }).some((f) => sgr.test(f))).toBe(false);
    expect(colorEnabled({ NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({})).toBe(true);
    expect(colorEnabled({ TERM: 'dumb' })).toBe(false);
  });

  test('the cursor is hidden while drawing and shown again at the end', () => {
    const frames = drive({ color: false, columns: 80 });
    expect(frames[0]).toBe('\x1b[?25l');
    expect(frames.at(-1)).toBe('\x1b[?25h');
  });

  test('event text cannot smuggle escapes or newlines into a row', () => {
    expect(renderRow([{ text: 'a\x1b[2Jb\nc' }], 20, false)).toBe('a [2Jb c');
    expect(renderRow([{ text: 'abcdef' }, { text: 'ghi' }], 5, false)).toBe('abcd…');
  });

  test('a restarted loop counts what earlier runs of the batch spent, healed and asked, without reprinting them', () => {
    const frames: string[] = [];
    const all = recordedEvents();
    const view = createLiveView({ write: (t) => frames.push(t), columns: () => 120, rows: () => 30, color: false, budgetUsd: 25, now: () => Date.parse(all.at(-1)?.ts ?? ''), tickMs: 0, history: () => all });
    for (const event of all.filter((e) => e.run === RUN_2).slice(0, 3)) view.onEvent(event);
    view.flush();
    const screen = visible(frames.join(''));
    expect(screen).toContain('cost $1.80 of $25.00  heals 1 (1 accepted)  interventions 1 (work 1, harness 0)');
    expect(screen).not.toContain('reverted');
    view.close();
  });
});
