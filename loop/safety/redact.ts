// Redaction for logs, events and reports: the values of secret variables in the environment (tracker
// credentials, API keys, tokens, passwords) and strings shaped like well-known tokens are masked.
import { SECRET_VARIABLES, isSecretName } from './secrets.ts';

const TOKEN_SHAPES = [
  /\bsk-(ant-)?[A-Za-z0-9_-]{16,}/g, // Anthropic / OpenAI keys
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bAIza[0-9A-Za-z_-]{30,}/g, // Google API keys
  /\blin_api_[A-Za-z0-9]{20,}/g, // Linear
  /(?<=\bBearer\s+)[A-Za-z0-9._~+/-]{16,}=*/g,
];

/** Values at least this long are masked; shorter ones would mask ordinary words. */
const MIN_SECRET_LENGTH = 6;

/** The secret values of an environment, longest first (so a value containing another is masked whole). */
export function secretValues(env: NodeJS.ProcessEnv): Array<{ name: string; value: string }> {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].length >= MIN_SECRET_LENGTH)
    .filter(([name]) => SECRET_VARIABLES.includes(name) || name.startsWith('NIGHTSHIFT_SECRET') || isSecretName(name))
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => b.value.length - a.value.length);
}

/** Masks secret values of `env` and token-shaped strings in a text. */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv): string {
  let out = text;
  for (const { name, value } of secretValues(env)) out = out.split(value).join(`[redacted:${name}]`);
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, '[redacted]');
  return out;
}

/** The same for a structured event: every string inside is redacted, the shape is kept. */
export function redactValue<T>(value: T, env: NodeJS.ProcessEnv): T {
  if (typeof value === 'string') return redactSecrets(value, env) as T;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, env)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, env)])) as T;
  }
  return value;
}
