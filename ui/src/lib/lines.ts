// Linkable lines as on the Hub: `#L12` is one line, `#L12-L20` a range (either order).

export interface LineRange {
  start: number;
  end: number;
}

/** The line range a location hash names, or null when it names none. */
export function parseLineHash(hash: string): LineRange | null {
  const match = /^#?L(\d+)(?:-L?(\d+))?$/.exec(hash);
  if (!match) return null;
  const a = Number(match[1]);
  const b = match[2] === undefined ? a : Number(match[2]);
  if (a < 1 || b < 1) return null;
  return { start: Math.min(a, b), end: Math.max(a, b) };
}

/** The hash of a range (`#L3` for a single line). */
export function lineHash(range: LineRange): string {
  return range.start === range.end ? `#L${range.start}` : `#L${range.start}-L${range.end}`;
}

/** The range after clicking line `line`; with shift held, from the line already chosen to this one. */
export function clickedRange(line: number, current: LineRange | null, extend: boolean): LineRange {
  if (!extend || !current) return { start: line, end: line };
  return { start: Math.min(current.start, line), end: Math.max(current.start, line) };
}
