// Unified diff hunks (what the hub's commit and compare answers carry per file) turned into table rows.

export type DiffRowKind = "hunk" | "add" | "del" | "context" | "note";

export interface DiffRow {
  kind: DiffRowKind;
  /** Line number in the old file (removed and context lines). */
  oldLine: number | null;
  /** Line number in the new file (added and context lines). */
  newLine: number | null;
  /** The line without its +/-/space marker; the hunk header or note as it is. */
  text: string;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Rows of a unified diff; lines before the first hunk header are ignored, unknown lines become notes. */
export function parseUnifiedDiff(diff: string): DiffRow[] {
  const rows: DiffRow[] = [];
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  const lines = diff.split("\n");
  if (lines[lines.length - 1] === "") lines.pop(); // the final newline ends the last line, it is no line
  for (const line of lines) {
    const header = HUNK.exec(line);
    if (header) {
      oldLine = Number(header[1]);
      newLine = Number(header[2]);
      inHunk = true;
      rows.push({ kind: "hunk", oldLine: null, newLine: null, text: line });
    } else if (!inHunk) {
      continue;
    } else if (line.startsWith("+")) {
      rows.push({ kind: "add", oldLine: null, newLine: newLine++, text: line.slice(1) });
    } else if (line.startsWith("-")) {
      rows.push({ kind: "del", oldLine: oldLine++, newLine: null, text: line.slice(1) });
    } else if (line.startsWith(" ") || line === "") {
      rows.push({ kind: "context", oldLine: oldLine++, newLine: newLine++, text: line.slice(1) });
    } else {
      // "\ No newline at end of file" and anything git may add later.
      rows.push({ kind: "note", oldLine: null, newLine: null, text: line });
    }
  }
  return rows;
}
