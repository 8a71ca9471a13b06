// The safetensors format: 8 bytes little-endian header length N, N bytes of JSON header, then the tensors.
// The page reads the two first parts with Range requests only, so a 10 GB file costs a few kilobytes.

/** Headers above this are refused: the format's own reference reader caps them at 100 MB; a page at less. */
export const MAX_HEADER_BYTES = 25_000_000;

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  parameters: number;
}

export interface SafetensorsHeader {
  tensors: TensorInfo[];
  metadata: Record<string, string> | null;
  total: number;
  /** Parameter count per dtype, largest first. */
  byDtype: [string, number][];
}

/** The header length from the file's first 8 bytes.
 *
 * Raises an Error when fewer than 8 bytes came or the length is above `MAX_HEADER_BYTES`. */
export function headerLength(first: Uint8Array): number {
  if (first.byteLength < 8) throw new Error("The file is shorter than a safetensors header (8 bytes)");
  const length = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`The safetensors header is ${length} bytes, above the ${MAX_HEADER_BYTES} bytes this page reads`);
  }
  return Number(length);
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** Tensors, metadata and parameter counts of a header's JSON text.
 *
 * Raises an Error naming the problem when the text is not a safetensors header. */
export function parseHeader(text: string): SafetensorsHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error("The safetensors header is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error("The safetensors header is not a JSON object");
  }
  const tensors: TensorInfo[] = [];
  let metadata: Record<string, string> | null = null;
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = value && typeof value === "object" ? Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      ) : null;
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown };
    if (!entry || typeof entry.dtype !== "string" || !isShape(entry.shape)) {
      throw new Error(`Tensor ${JSON.stringify(name)} has no dtype and shape`);
    }
    // A scalar (shape []) is one parameter: the product of no dimensions.
    const parameters = entry.shape.reduce((a, d) => a * d, 1);
    tensors.push({ name, dtype: entry.dtype, shape: entry.shape, parameters });
  }
  const counts = new Map<string, number>();
  for (const t of tensors) counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + t.parameters);
  const byDtype = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  return { tensors, metadata, total: tensors.reduce((a, t) => a + t.parameters, 0), byDtype };
}

/** A parameter count as the Hub writes it: 1.2B, 350M, 7.5K. */
export function formatCount(count: number): string {
  const units: [number, string][] = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
  for (const [size, unit] of units) {
    if (count >= size) return `${(count / size).toFixed(count / size >= 100 ? 0 : 1)}${unit}`;
  }
  return String(count);
}
