// The spawn helper as a node process (loop/process/spawner-child.ts), where Python 3 is missing or not
// wanted (NIGHTSHIFT_SPAWN_HELPER=node): the same cases as the Python helper's.
import { spawnerCases } from './spawner-cases.ts';

process.env.NIGHTSHIFT_SPAWN_HELPER = 'node';
spawnerCases('node');
