// Terminal text: colour that honours NO_COLOR, and rows cut to the terminal width so a row never
// wraps (a wrapped row would break the live view's count of the lines it owns).

/** A piece of a row and its style; a row is a list of pieces. */
export type Piece = { text: string; style?: Style };
export type Style = 'bold' | 'dim' | 'green' | 'red' | 'yellow' | 'cyan' | 'magenta';

const SGR: Record<Style, [number, number]> = {
  bold: [1, 22], dim: [2, 22], green: [32, 39], red: [31, 39], yellow: [33, 39], cyan: [36, 39], magenta: [35, 39],
};

/** no-color.org: colour is off when NO_COLOR is set to anything but the empty string. */
export function colorEnabled(env: NodeJS.ProcessEnv): boolean {
  return (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
}

/** Control characters (escapes, tabs, newlines) of event text would break the layout. */
export function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
}

/** Renders pieces cut to `width` columns (an ellipsis marks the cut), in colour or not. */
export function renderRow(pieces: readonly Piece[], width: number, color: boolean): string {
  let room = Math.max(1, width);
  let out = '';
  for (let index = 0; index < pieces.length && room > 0; index++) {
    const piece = pieces[index];
    if (!piece) continue;
    let chars = [...clean(piece.text)];
    const rest = pieces.slice(index + 1).reduce((n, p) => n + [...p.text].length, 0);
    if (chars.length > room || (chars.length === room && rest > 0)) chars = [...chars.slice(0, room - 1), '…'];
    room -= chars.length;
    const text = chars.join('');
    out += color && piece.style && text !== '' ? `\x1b[${SGR[piece.style][0]}m${text}\x1b[${SGR[piece.style][1]}m` : text;
  }
  return out;
}

/** `h:mm:ss` or `m:ss`, for elapsed times in a row. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${Math.floor(s / 60)}:${ss}`;
}
