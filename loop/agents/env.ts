// Environment hygiene: an agent inherits the environment minus the tracker credentials and
// nightshift's own secrets, plus the protocol variables of DESIGN.md.
import { SECRET_VARIABLES } from '../safety/secrets.ts';
import type { AgentRun } from './types.ts';

export { SECRET_VARIABLES };


export function isSecretVariable(name: string): boolean {
  return SECRET_VARIABLES.includes(name) || name.startsWith('NIGHTSHIFT_SECRET_') || name.startsWith('NIGHTSHIFT_');
}

export function agentEnvironment(run: AgentRun): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(run.env)) {
    if (value !== undefined && !isSecretVariable(name)) env[name] = value;
  }
  env.NIGHTSHIFT_ROLE = run.role;
  if (run.ticket !== undefined && run.role !== 'heal') env.NIGHTSHIFT_TICKET = run.ticket;
  env.NIGHTSHIFT_PASS = String(run.pass);
  env.NIGHTSHIFT_PROMPT_FILE = run.promptFile;
  env.NIGHTSHIFT_RESULT_FILE = run.resultFile;
  return { ...env, ...run.extraEnv };
}
