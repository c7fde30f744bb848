/**
 * A table as Docker prints them: a header row, columns left-aligned and separated by at least three spaces,
 * no trailing spaces. Returns the text with a final newline.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] as number) + 3)))
      .join("")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

/** The first 12 characters of an id, as Docker shows ids unless --no-trunc. */
export const shortId = (id: string, noTrunc = false): string => (noTrunc ? id : id.slice(0, 12));

/** `text` cut to `max` characters with an ellipsis, unless noTrunc. */
export const truncate = (text: string, max: number, noTrunc = false): string =>
  noTrunc || text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** First letter upper case: `running` -> `Running`. */
export const capitalize = (s: string): string => (s === "" ? s : s[0]?.toUpperCase() + s.slice(1));
