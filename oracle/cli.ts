#!/usr/bin/env node
// The oracle as its own executable: `node oracle/cli.ts <BATCH> ...` is what the loop runs, so the
// loop learns the verdict only through this process's exit code and output.
import { runOracleCommand } from './command.ts';

process.exitCode = await runOracleCommand(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
});
