// Small formatting shared by the live view, the plain lines, `status` and `report`: short agent names,
// durations, dollars, one-line reasons.

/** A command: spec names its script, not the node binary and the absolute paths before it. */
export function shortSpec(spec: string): string {
  if (!spec.startsWith('command:')) return spec;
  const words = spec.slice('command:'.length).trim().split(/\s+/);
  if (words.length > 1 && /(^|\/)node(\.exe)?$/.test(words[0] ?? '')) words.shift();
  return words.map((word) => (word.startsWith('/') ? word.slice(word.lastIndexOf('/') + 1) : word)).join(' ');
}

/** `1h02m`, `4m05s`, `12s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A reason in one line: its first line, and the next one too when the first ends in a colon. */
export function briefReason(reason: string | undefined, max = 140): string {
  const [first = '', second = ''] = (reason ?? '').split('\n');
  const text = first.endsWith(':') && second.trim() !== '' ? `${first} ${second.trim()}` : first;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function formatUsd(value: number): string {
  return `$${value.toFixed(2)}`;
}
