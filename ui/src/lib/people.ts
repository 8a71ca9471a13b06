// Pure helpers of the people pages.

/** "1.2 MB": decimal units, as the Hub (and the hub's quota messages) show sizes. */
export function humanSize(bytes: number): string {
  let value = bytes;
  for (const unit of ["bytes", "KB", "MB", "GB", "TB"]) {
    if (Math.abs(value) < 1000 || unit === "TB") return unit === "bytes" ? `${bytes} bytes` : `${value.toFixed(1)} ${unit}`;
    value /= 1000;
  }
  return `${bytes} bytes`;
}

/** Used of the limit as a whole percentage for a meter, or null when there is no limit. */
export function usedPercent(used: number, limit: number | null): number | null {
  if (limit === null) return null;
  if (limit <= 0) return 100;
  return Math.min(100, Math.round((used / limit) * 100));
}

/** Share of the logical bytes that dedup did not have to store, as a whole percentage. */
export function savedPercent(logical: number, saved: number): number {
  return logical > 0 ? Math.round((saved / logical) * 100) : 0;
}
