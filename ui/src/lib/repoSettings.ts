// Pure helpers of the repo settings page.
import { PLURAL, type RepoType } from "../api/client";
import { formatSize } from "./format";

export function splitRepoId(id: string): { namespace: string; name: string } {
  const slash = id.indexOf("/");
  return { namespace: id.slice(0, slash), name: id.slice(slash + 1) };
}

/** The delete button waits for the full id typed exactly: no trimming, no case folding (the Hub's habit). */
export function deleteConfirmed(typed: string, id: string): boolean {
  return typed === id;
}

/** Where a repo may be moved: the user's own namespace and the orgs where they may create repos (member and
 * up: visitors only read), plus the current owner (a site admin administers repos of any namespace). */
export function moveOwners(username: string, orgs: { name: string; role: string }[], current: string): string[] {
  const owners = [username, ...orgs.filter((o) => o.role !== "visitor").map((o) => o.name)];
  return owners.some((o) => o.toLowerCase() === current.toLowerCase()) ? owners : [current, ...owners];
}

/** The repo id in the hub's answer to a move (`{endpoint}/[datasets/|spaces/]{ns}/{name}`): the owner as the
 * hub spells it, which may differ in case from what was typed. */
export function idFromRepoUrl(url: string, type: RepoType): string {
  const path = decodeURIComponent(new URL(url, "http://hub.invalid").pathname).replace(/^\/+/, "");
  const prefix = type === "model" ? "" : `${PLURAL[type]}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

/** "1.2 MB of 10.0 GB (12%)", or "1.2 MB (no limit)". */
export function describeUsage(used: number, limit: number | null): string {
  if (limit === null) return `${formatSize(used)} (no limit)`;
  const percent = limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 100;
  return `${formatSize(used)} of ${formatSize(limit)} (${percent}%)`;
}

/** A ref name the hub would take, or the reason it would not (checked again by the hub, which has the last
 * word; this only saves a round trip for the obvious mistakes). */
export function refNameProblem(name: string): string {
  if (!name) return "Enter a name";
  if (/\s/.test(name)) return "A name cannot contain spaces";
  return ""; // "/" is fine: the API routes on the raw path, so "release%2Fv1" stays one segment
}
