// The BATCH syntax of the command line: `ENG-120..ENG-134` ranges and `ENG-120,ENG-131` comma lists
// (items may mix both), and the label that marks discovered tickets as members of the batch.
import { createHash } from 'node:crypto';
import { UsageError } from './errors.ts';

/** A parsed batch: the keys of its ranges and lists, and the label of tickets discovered during it. */
export type Batch = {
  /** The canonical text of the batch (upper case, no spaces). */
  spec: string;
  /** Keys named by the batch, in order, without duplicates. */
  keys: string[];
  /** Tickets carrying this label are part of the batch too (discovered work). */
  label: string;
};

/** Largest number of keys one batch may name; a typo like `ENG-1..ENG-100000` should not read 100k tickets. */
export const MAX_BATCH_KEYS = 5000;

const KEY = /^([A-Z][A-Z0-9_]*)-([1-9][0-9]*)$/;

function parseKey(text: string, whole: string): { prefix: string; number: number } {
  const match = KEY.exec(text);
  if (!match || match[1] === undefined || match[2] === undefined) {
    throw new UsageError(
      'bad-batch',
      `bad batch "${whole}": "${text}" is not a ticket key. Use keys like ENG-120, a range ENG-120..ENG-134 or a list ENG-120,ENG-131.`,
    );
  }
  return { prefix: match[1], number: Number(match[2]) };
}

/** Parses a BATCH argument; a bad one is a UsageError (exit 2) that says what to type instead. */
export function parseBatch(input: string): Batch {
  const whole = input.trim();
  if (whole === '') {
    throw new UsageError('bad-batch', 'no batch given. Name the tickets to run, e.g. ENG-120..ENG-134 or ENG-120,ENG-131.');
  }
  const spec = whole.toUpperCase().replace(/\s+/g, '');
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const item of spec.split(',')) {
    if (item === '') {
      throw new UsageError('bad-batch', `bad batch "${whole}": an empty item between commas. Write ENG-120,ENG-131.`);
    }
    const parts = item.split('..');
    if (parts.length > 2) {
      throw new UsageError('bad-batch', `bad batch "${whole}": "${item}" has more than one "..". Write a range as ENG-120..ENG-134.`);
    }
    const from = parseKey(parts[0] ?? '', whole);
    const to = parts.length === 2 ? parseKey(parts[1] ?? '', whole) : from;
    if (from.prefix !== to.prefix) {
      throw new UsageError('bad-batch', `bad batch "${whole}": the range "${item}" spans two projects (${from.prefix}, ${to.prefix}). A range stays within one project.`);
    }
    if (to.number < from.number) {
      throw new UsageError('bad-batch', `bad batch "${whole}": the range "${item}" runs backwards. Write the lower key first, e.g. ${from.prefix}-${to.number}..${from.prefix}-${from.number}.`);
    }
    if (to.number - from.number + 1 + keys.length > MAX_BATCH_KEYS) {
      throw new UsageError('bad-batch', `bad batch "${whole}": it names more than ${MAX_BATCH_KEYS} tickets. Split it into smaller batches.`);
    }
    for (let n = from.number; n <= to.number; n++) {
      const key = `${from.prefix}-${n}`;
      if (!seen.has(key)) {
        seen.add(key);
        keys.push(key);
      }
    }
  }
  return { spec, keys, label: batchLabel(spec) };
}

/** The label discovered tickets carry: stable for the same batch text, valid in Linear and Jira. */
export function batchLabel(spec: string): string {
  return `nightshift-${createHash('sha256').update(spec).digest('hex').slice(0, 8)}`;
}
