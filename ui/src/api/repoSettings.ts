// The repo settings page's calls: visibility, move, delete, collaborators, branches and tags, quota.
import { ApiError, getJson, PLURAL, request, type RepoType } from "./client";
import { idFromRepoUrl, splitRepoId } from "../lib/repoSettings";

function base(type: RepoType, id: string): string {
  return `/api/${PLURAL[type]}/${id}`;
}

/** Whether the caller may write to the repo: true on 200, false on the hub's refusal (403), with its message. */
export async function writeAccess(type: RepoType, id: string): Promise<{ allowed: boolean; message: string }> {
  try {
    await request("GET", `${base(type, id)}/auth-check/write`);
    return { allowed: true, message: "" };
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return { allowed: false, message: e.message };
    throw e;
  }
}

export async function setPrivate(type: RepoType, id: string, isPrivate: boolean): Promise<void> {
  await request("PUT", `${base(type, id)}/settings`, { private: isPrivate });
}

/** Rename or move; resolves the repo's new id as the hub spelled it (its owner's canonical case). */
export async function moveRepo(type: RepoType, fromRepo: string, toRepo: string): Promise<string> {
  const answer = (await (await request("POST", "/api/repos/move", { fromRepo, toRepo, type })).json()) as { url: string };
  return idFromRepoUrl(answer.url, type);
}

export async function deleteRepo(type: RepoType, id: string): Promise<void> {
  const { namespace, name } = splitRepoId(id);
  await request("DELETE", "/api/repos/delete", { name, organization: namespace, type });
}

export type CollaboratorRole = "read" | "write";

export interface Collaborator {
  username: string;
  role: CollaboratorRole;
}

export async function collaborators(type: RepoType, id: string): Promise<Collaborator[]> {
  return (await getJson<{ collaborators: Collaborator[] }>(`${base(type, id)}/collaborators`)).collaborators;
}

/** Add a collaborator or change their role (the same PUT). */
export async function setCollaborator(type: RepoType, id: string, username: string, role: CollaboratorRole): Promise<void> {
  await request("PUT", `${base(type, id)}/collaborators/${encodeURIComponent(username)}`, { role });
}

export async function removeCollaborator(type: RepoType, id: string, username: string): Promise<void> {
  await request("DELETE", `${base(type, id)}/collaborators/${encodeURIComponent(username)}`);
}

export async function createBranch(type: RepoType, id: string, branch: string, startingPoint: string): Promise<void> {
  await request("POST", `${base(type, id)}/branch/${encodeURIComponent(branch)}`,
    startingPoint ? { startingPoint } : undefined);
}

export async function deleteBranch(type: RepoType, id: string, branch: string): Promise<void> {
  await request("DELETE", `${base(type, id)}/branch/${encodeURIComponent(branch)}`);
}

/** Tag `revision` (a branch, tag or commit id); an empty message makes a lightweight tag. */
export async function createTag(type: RepoType, id: string, revision: string, tag: string, message: string): Promise<void> {
  await request("POST", `${base(type, id)}/tag/${encodeURIComponent(revision)}`, { tag, message: message || null });
}

export async function deleteTag(type: RepoType, id: string, tag: string): Promise<void> {
  await request("DELETE", `${base(type, id)}/tag/${encodeURIComponent(tag)}`);
}

export interface Bucket {
  used: number;
  /** null: unlimited */
  limit: number | null;
}

export interface Quota {
  namespace: string;
  private: Bucket;
  public: Bucket;
}

export function quota(namespace: string): Promise<Quota> {
  return getJson<Quota>(`/api/quota/${encodeURIComponent(namespace)}`);
}
