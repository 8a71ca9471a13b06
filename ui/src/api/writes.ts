// Writes: create a repo, preupload, the LFS batch API, part uploads with progress, the NDJSON commit.
import { getJson, PLURAL, repoPath, request, type RepoType } from "./client";
import { AbortedError, buildCommitNdjson, type CommitHeader, type CommitOp, type LfsAction, type LfsBatchObject } from "../lib/writes";

const LFS_JSON = "application/vnd.git-lfs+json";

export interface OrgMembership {
  name: string;
  role: string;
}

export async function userOrgs(username: string): Promise<OrgMembership[]> {
  return (await getJson<{ organizations: OrgMembership[] }>(`/org/users/${encodeURIComponent(username)}/orgs`)).organizations;
}

export async function createRepo(args: { type: RepoType; name: string; organization: string | null; private: boolean }): Promise<string> {
  const body = { name: args.name, organization: args.organization, type: args.type, visibility: args.private ? "private" : "public" };
  return (await (await request("POST", "/api/repos/create", body)).json()).url as string;
}

function rev(revision: string): string {
  return encodeURIComponent(revision);
}

export interface PreuploadAnswer {
  path: string;
  uploadMode: "lfs" | "regular";
  shouldIgnore: boolean;
  oid?: string | null;
}

export async function preupload(type: RepoType, id: string, revision: string,
  files: { path: string; sample: string; size: number }[], signal?: AbortSignal): Promise<PreuploadAnswer[]> {
  const answer = await request("POST", `/api/${PLURAL[type]}/${id}/preupload/${rev(revision)}`, { files }, { signal });
  return (await answer.json()).files as PreuploadAnswer[];
}

export async function lfsBatch(type: RepoType, id: string, revision: string, objects: { oid: string; size: number }[],
  signal?: AbortSignal): Promise<LfsBatchObject[]> {
  const body = JSON.stringify({ operation: "upload", transfers: ["basic", "multipart"], objects, hash_algo: "sha256",
    ref: { name: revision } });
  const answer = await request("POST", `${repoPath(type, id)}.git/info/lfs/objects/batch`, body,
    { contentType: LFS_JSON, accept: LFS_JSON, signal });
  return (await answer.json()).objects as LfsBatchObject[];
}

export async function completeMultipart(action: LfsAction, oid: string, parts: { partNumber: number; etag: string }[],
  signal?: AbortSignal): Promise<void> {
  await request("POST", action.href, JSON.stringify({ oid, parts }), { contentType: LFS_JSON, accept: LFS_JSON, signal });
}

export async function verifyLfs(action: LfsAction, oid: string, size: number, signal?: AbortSignal): Promise<void> {
  await request("POST", action.href, JSON.stringify({ oid, size }), { contentType: LFS_JSON, accept: LFS_JSON, signal });
}

export async function commit(type: RepoType, id: string, revision: string, header: CommitHeader, ops: CommitOp[],
  signal?: AbortSignal): Promise<{ commitOid: string; commitUrl: string }> {
  const answer = await request("POST", `/api/${PLURAL[type]}/${id}/commit/${rev(revision)}`, buildCommitNdjson(header, ops),
    { contentType: "application/x-ndjson", signal });
  return answer.json();
}

/** PUT bytes to a part URL (presigned S3 or the hub's signed URL) with upload progress; resolves the ETag.
 * XMLHttpRequest, not fetch: fetch has no upload progress events. Part URLs are self-authorizing (§5.4). */
export function putPart(url: string, body: Blob, onProgress: (loaded: number) => void, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve((xhr.getResponseHeader("ETag") || "").replace(/^W\//, ""));
      else reject(new Error(xhr.getResponseHeader("X-Error-Message") || `Upload failed (HTTP ${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error("Upload failed: the storage server could not be reached"));
    xhr.onabort = () => reject(new AbortedError());
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
