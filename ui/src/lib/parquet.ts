// Loaded only by the parquet preview (a dynamic import): hyparquet reads the footer, then the first rows,
// through an AsyncBuffer whose slices are Range requests of the file (api/client.ts's fetchRange).
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer } from "hyparquet";
import type { RangeRead } from "../api/client";
import { CELL_CHARS, type Table } from "./tabular";

export const FOOTER_GUESS = 64 * 1024;

export interface ParquetPreview {
  table: Table;
  rows: number;
  rowGroups: number;
}

type ReadRange = (start: number, end: number) => Promise<RangeRead>;

/** An AsyncBuffer over `read`: hyparquet's slice(start, end) has an exclusive end, Range an inclusive one. */
export function rangeBuffer(read: ReadRange, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start: number, end = byteLength): Promise<ArrayBuffer> {
      if (end <= start) return new ArrayBuffer(0);
      const { bytes } = await read(start, end - 1);
      return bytes.slice().buffer;
    },
  };
}

/** A cell as text: bigints and dates as they print, bytes by their length, the rest as JSON. */
export function cellText(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = "";
  else if (typeof value === "string") text = value;
  else if (typeof value === "bigint") text = value.toString();
  else if (value instanceof Date) text = value.toISOString();
  else if (value instanceof Uint8Array) text = `<${value.byteLength} bytes>`;
  else text = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  return text.length > CELL_CHARS ? `${text.slice(0, CELL_CHARS)}…` : text;
}

/** The schema's top-level columns and the first `rows` rows (of the first row group when it has as many). */
export async function previewParquet(read: ReadRange, byteLength: number, rows: number): Promise<ParquetPreview> {
  const file = rangeBuffer(read, byteLength);
  const metadata = await parquetMetadataAsync(file, { initialFetchSize: Math.min(FOOTER_GUESS, byteLength) });
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  const total = Number(metadata.num_rows);
  const firstGroup = Number(metadata.row_groups[0]?.num_rows ?? 0);
  const rowEnd = Math.min(rows, total, Math.max(firstGroup, 1));
  const objects = rowEnd > 0 ? await parquetReadObjects({ file, metadata, rowStart: 0, rowEnd }) : [];
  return {
    table: { columns, rows: objects.map((o) => columns.map((c) => cellText(o[c]))) },
    rows: total,
    rowGroups: metadata.row_groups.length,
  };
}
