// Commit history, one commit's diff and comparisons (kohakuhub/api/routes/history.py documents the shapes).
import { getJson, PLURAL, request, type RepoType } from "./client";

export interface CommitSummary {
  id: string;
  title: string;
  /** The message body (after the title line). */
  message: string;
  date: string;
  authors: { user: string }[];
}

export interface LfsSide {
  oid: string;
  size: number;
}

export interface FileChange {
  status: "added" | "modified" | "deleted" | "renamed" | "typechange";
  oldPath: string | null;
  newPath: string | null;
  oldOid: string | null;
  newOid: string | null;
  oldSize: number | null;
  newSize: number | null;
  oldMode: string | null;
  newMode: string | null;
  lfs: { old: LfsSide | null; new: LfsSide | null } | null;
  binary: boolean;
  additions: number;
  deletions: number;
  /** Unified diff hunks, or null (binary, LFS, too large, over the answer's limits). */
  diff: string | null;
  truncated: boolean;
}

export interface ChangedFiles {
  files: FileChange[];
  /** Every changed file, including those past the answer's limit. */
  filesChanged: number;
  truncated: boolean;
}

export interface CommitDetail extends CommitSummary, ChangedFiles {
  parents: string[];
  base: string | null;
}

export interface Comparison extends ChangedFiles {
  base: string;
  head: string;
  mergeBase: string | null;
  commits: CommitSummary[];
  commitsTruncated: boolean;
}

export interface CommitPage {
  commits: CommitSummary[];
  hasNext: boolean;
  /** X-Total-Count: absent for a path's history (the hub does not count those). */
  total: number | null;
}

function base(type: RepoType, id: string): string {
  return `/api/${PLURAL[type]}/${id}`;
}

function encodePath(path: string): string {
  return path ? `/${path.split("/").map(encodeURIComponent).join("/")}` : "";
}

/** Page `page` (from 0) of a revision's history, or of the commits that changed `path`. */
export async function listCommits(type: RepoType, id: string, revision: string, path: string, page: number,
  limit: number): Promise<CommitPage> {
  const query = new URLSearchParams({ p: String(page), limit: String(limit) });
  const response = await request("GET", `${base(type, id)}/commits/${encodeURIComponent(revision)}${encodePath(path)}?${query}`);
  const total = response.headers.get("X-Total-Count");
  return {
    commits: (await response.json()) as CommitSummary[],
    hasNext: /rel="next"/.test(response.headers.get("Link") ?? ""),
    total: total === null ? null : Number(total),
  };
}

export function commitDetail(type: RepoType, id: string, revision: string): Promise<CommitDetail> {
  return getJson<CommitDetail>(`${base(type, id)}/commit/${encodeURIComponent(revision)}`);
}

export function compare(type: RepoType, id: string, baseRevision: string, head: string): Promise<Comparison> {
  return getJson<Comparison>(`${base(type, id)}/compare/${encodeURIComponent(baseRevision)}...${encodeURIComponent(head)}`);
}
