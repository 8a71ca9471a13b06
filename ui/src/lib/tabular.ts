// Previews of the first rows of CSV/TSV and JSON Lines files, from the first bytes of the file only.

export interface Table {
  columns: string[];
  rows: string[][];
}

export const CELL_CHARS = 200;

/** Text of the first bytes of a file; when `truncated`, the last (partial) line is dropped. */
export function prefixText(bytes: Uint8Array, truncated: boolean): string {
  const text = new TextDecoder("utf-8").decode(bytes);
  if (!truncated) return text;
  const end = text.lastIndexOf("\n");
  return end < 0 ? "" : text.slice(0, end + 1);
}

function clip(value: string): string {
  return value.length > CELL_CHARS ? `${value.slice(0, CELL_CHARS)}…` : value;
}

/** Records of delimited text (RFC 4180 quoting: "" is a quote, quoted fields may hold newlines). */
export function parseDelimited(text: string, delimiter: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field === "") {
      quoted = true;
    } else if (c === delimiter) {
      record.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (field !== "" || record.length) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** The first `maxRows` rows of CSV/TSV text under its header row; `truncated` drops a cut last record. */
export function delimitedTable(text: string, delimiter: string, maxRows: number, truncated: boolean): Table {
  const records = parseDelimited(text, delimiter);
  // A record that a quoted newline spread over lines may still be cut: the last record is never trusted.
  if (truncated && records.length > 1) records.pop();
  const [columns = [], ...rows] = records;
  return { columns: columns.map(clip), rows: rows.slice(0, maxRows).map((r) => r.map(clip)) };
}

function cell(value: unknown): string {
  if (value === undefined) return "";
  return clip(typeof value === "string" ? value : JSON.stringify(value));
}

/** The first `maxRows` lines of JSON Lines text: columns are the union of the objects' keys.
 *
 * A line that is not an object shows in a `value` column; a line that is not JSON in an `error` one. */
export function jsonlTable(text: string, maxRows: number): Table {
  const columns: string[] = [];
  const seen = new Set<string>();
  const objects: Record<string, unknown>[] = [];
  const add = (key: string) => {
    if (!seen.has(key)) {
      seen.add(key);
      columns.push(key);
    }
  };
  for (const line of text.split("\n")) {
    if (objects.length >= maxRows) break;
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = { error: "not valid JSON" };
    }
    const object = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
    Object.keys(object).forEach(add);
    objects.push(object);
  }
  return { columns: columns.map(clip), rows: objects.map((o) => columns.map((c) => cell(o[c]))) };
}
