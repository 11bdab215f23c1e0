// What the loop's Linear timers (loop/tracker/watch.ts, loop/tracker/snapshot.ts) cost an hour in the field,
// priced by the simulator's complexity rules for the exact documents the tracker sends.
/** Requests and points an hour of the loop's Linear timers cost with nothing changing: priced, not assumed. */
export async function linearTimerCost(tickets: number, pollS: number, reconcileS: number): Promise<{ requests: number; points: number }> {
  const { buildSchema, parse } = await import('graphql');
  const { queryComplexity } = await import('../sim/linear-complexity.ts');
  const { LINEAR_SDL } = await import('../sim/linear-schema.ts');
  const { BATCH_QUERY, CHANGED_AND_RELATIONS_QUERY, PAGE_SIZE } = await import('../../trackers/linear-queries.ts');
  const schema = buildSchema(LINEAR_SDL);
  // a quiet delta read: the issues feed and the relations feed's first page, one request
  const delta = queryComplexity(schema, parse(CHANGED_AND_RELATIONS_QUERY), { first: 20, relations: 10 });
  const { DISCOVERED_ROOM } = await import('../../trackers/linear.ts');
  // the pages a full read asks for, as trackers/linear.ts sizes them: each for what is still expected
  const expected = tickets + DISCOVERED_ROOM;
  let pages = 0;
  let full = 0;
  for (let got = 0; got < expected; pages++) {
    const first = Math.min(PAGE_SIZE, Math.max(DISCOVERED_ROOM, expected - got));
    full += queryComplexity(schema, parse(BATCH_QUERY), { first });
    got += first;
  }
  const polls = 3600 / pollS;
  const reconciles = 3600 / reconcileS;
  return { requests: polls + reconciles * pages, points: polls * delta + reconciles * full };
}

