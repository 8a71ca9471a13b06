// The file view's calls: paths-info of one file, and the resolve URLs its viewers read with Range requests.
import { PLURAL, repoPath, request, resolveUrl, type RepoType, type TreeEntry } from "./client";

export interface FileInfo extends TreeEntry {
  lfs?: { oid: string; size: number; pointerSize?: number } | null;
}

/** The file at `path` of a revision with its lastCommit, or null when the revision has no such file. */
export async function fileInfo(type: RepoType, id: string, revision: string, path: string): Promise<FileInfo | null> {
  const response = await request("POST", `/api/${PLURAL[type]}/${id}/paths-info/${encodeURIComponent(revision)}`, {
    paths: [path],
    expand: true,
  });
  const found = ((await response.json()) as FileInfo[]).find((e) => e.path === path && e.type === "file");
  return found ?? null;
}

/** The git-lfs pointer that git holds for an LFS file (the spec's three lines). */
export function lfsPointer(lfs: { oid: string; size: number }): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${lfs.oid}\nsize ${lfs.size}\n`;
}

export function downloadUrl(type: RepoType, id: string, revision: string, path: string): string {
  return `${resolveUrl(type, id, revision, path)}?download=true`;
}

export function historyPath(type: RepoType, id: string, revision: string, path: string): string {
  return `${repoPath(type, id)}/commits/${encodeURIComponent(revision)}/${path}`;
}

