// Pure helpers of the admin portal's pages.
import type { RepoType } from "../api/client";
import { humanSize } from "./people";

/** What a quota field may hold: bytes, null (unlimited) or "default" (the hub's setting). */
export type LimitValue = number | null | "default";

const UNITS: Record<string, number> = { b: 1, byte: 1, bytes: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** Read a quota limit as typed: "10 GB", "1.5TB", "512 MiB", "1000" (bytes), "unlimited" or "default".
 * Sizes use decimal units as the hub shows them (KiB and friends are binary). */
export function parseLimit(text: string): { value: LimitValue } | { error: string } {
  const typed = text.trim().toLowerCase();
  if (typed === "unlimited" || typed === "none") return { value: null };
  if (typed === "default") return { value: "default" };
  const match = typed.match(/^(\d+(?:\.\d+)?)\s*([a-z]*)$/);
  if (!match) return { error: `"${text.trim()}" is not a size: write e.g. 10 GB, 500 MB, unlimited or default` };
  const unit = match[2] || "b";
  if (!(unit in UNITS)) return { error: `Unknown unit "${match[2]}": use B, KB, MB, GB, TB (or KiB, MiB, GiB, TiB)` };
  const bytes = Math.round(Number(match[1]) * UNITS[unit]);
  if (!Number.isSafeInteger(bytes)) return { error: `${text.trim()} is too large` };
  return { value: bytes };
}

/** A limit as a quota field shows it (parseLimit reads it back to the same bytes when it is exact). */
export function limitText(limit: number | null): string {
  return limit === null ? "unlimited" : humanSize(limit);
}

/** Used of a limit, for a table cell: "1.2 MB of 10.0 GB (12%)" or "1.2 MB (no limit)". */
export function usageText(used: number, limit: number | null): string {
  if (limit === null) return `${humanSize(used)} (no limit)`;
  const share = limit > 0 ? Math.round((used / limit) * 100) : 100;
  return `${humanSize(used)} of ${humanSize(limit)} (${share}%)`;
}

export interface ActivityEvent {
  kind: "user_created" | "org_created" | "repo_created" | "repo_updated";
  name: string;
  repo_type: RepoType | null;
}

const ACTIVITY_VERBS: Record<ActivityEvent["kind"], string> = {
  user_created: "New user",
  org_created: "New organization",
  repo_created: "New",
  repo_updated: "Updated",
};

/** "New user alice", "New dataset alice/data", "Updated model alice/bert". */
export function activityText(event: ActivityEvent): string {
  const verb = ACTIVITY_VERBS[event.kind];
  return event.repo_type ? `${verb} ${event.repo_type} ${event.name}` : `${verb} ${event.name}`;
}

/** Where an activity's subject lives in the UI. */
export function activityLink(event: ActivityEvent): string {
  if (event.kind === "user_created") return `/${event.name}`;
  if (event.kind === "org_created") return `/organizations/${event.name}`;
  return event.repo_type === "model" || !event.repo_type ? `/${event.name}` : `/${event.repo_type}s/${event.name}`;
}

/** "1-50 of 123" for a page of a list ("none" when empty). */
export function pageRange(offset: number, shown: number, total: number): string {
  if (total === 0 || shown === 0) return "none";
  return `${offset + 1}-${offset + shown} of ${total}`;
}

/** A health check's latency: "0.42 ms", "12 ms", "1.3 s". */
export function latencyText(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Share of the Xet files' bytes that did not need storing (chunk dedup), as a whole percentage. */
export function dedupShare(fileBytes: number, savedBytes: number): number {
  return fileBytes > 0 ? Math.round((savedBytes / fileBytes) * 100) : 0;
}

/** "1 model", "3 models", "0 files". */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
