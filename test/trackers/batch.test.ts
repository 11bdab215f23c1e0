import { describe, expect, test } from 'vitest';
import { MAX_BATCH_KEYS, batchLabel, parseBatch } from '../../trackers/batch.ts';
import { UsageError } from '../../trackers/errors.ts';
import { runCli } from '../helpers/cli.ts';

describe('parseBatch', () => {
  test('a range expands to every key in order', () => {
    expect(parseBatch('ENG-120..ENG-124').keys).toEqual(['ENG-120', 'ENG-121', 'ENG-122', 'ENG-123', 'ENG-124']);
  });

  test('a comma list keeps its order and drops duplicates', () => {
    expect(parseBatch('ENG-131,ENG-120,ENG-131').keys).toEqual(['ENG-131', 'ENG-120']);
  });

  test('items may mix ranges and keys, spaces and lower case are forgiven', () => {
    const batch = parseBatch(' eng-1..eng-3, ENG-7 ');
    expect(batch.keys).toEqual(['ENG-1', 'ENG-2', 'ENG-3', 'ENG-7']);
    expect(batch.spec).toBe('ENG-1..ENG-3,ENG-7');
  });

  test('a one-key range is one key', () => {
    expect(parseBatch('PROJ-9..PROJ-9').keys).toEqual(['PROJ-9']);
  });

  test('the batch label is stable, depends on the batch, and is a valid Jira/Linear label', () => {
    expect(parseBatch('ENG-1..ENG-3').label).toBe(batchLabel('ENG-1..ENG-3'));
    expect(parseBatch('eng-1..eng-3').label).toBe(parseBatch('ENG-1..ENG-3').label);
    expect(parseBatch('ENG-1..ENG-4').label).not.toBe(parseBatch('ENG-1..ENG-3').label);
    expect(parseBatch('ENG-1..ENG-3').label).toMatch(/^nightshift-[0-9a-f]{8}$/);
  });

  test.each([
    ['', /no batch given/],
    ['ENG', /"ENG" is not a ticket key/],
    ['ENG-0', /"ENG-0" is not a ticket key/],
    ['ENG-5..ENG-2', /runs backwards/],
    ['ENG-1..OPS-4', /spans two projects/],
    ['ENG-1..ENG-2..ENG-3', /more than one "\.\."/],
    ['ENG-1,,ENG-2', /empty item/],
    ['ENG-1;rm -rf /', /is not a ticket key/],
    [`ENG-1..ENG-${MAX_BATCH_KEYS + 1}`, /more than 5000 tickets/],
  ])('%j is a usage error', (input, message) => {
    let caught: unknown;
    try {
      parseBatch(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).exitCode).toBe(2);
    expect((caught as UsageError).message).toMatch(message);
  });
});

test('a bad batch on the command line is exit 2 with a message that says what to type', async () => {
  const result = await runCli(['oracle', 'ENG-9..ENG-2', '--tracker', 'local', '--tickets', 'x.json', '--repo', '.']);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain('runs backwards');
  expect(result.stdout).toBe('');
});
