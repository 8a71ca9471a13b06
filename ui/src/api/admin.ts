// The admin API (/admin/api/, site admins only) and the registration invitation routes the portal uses.
// Imported by the admin portal's pages only, so it travels in their chunk.
import { getJson, request, type RepoType } from "./client";

const seg = encodeURIComponent;

export interface Page {
  total: number;
  offset: number;
  limit: number;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

// --- statistics -----------------------------------------------------------------------------------------

export interface Activity {
  kind: "user_created" | "org_created" | "repo_created" | "repo_updated";
  at: string;
  name: string;
  repo_type: RepoType | null;
  private: boolean | null;
}

export interface Stats {
  users: { total: number; admins: number; disabled: number };
  organizations: { total: number };
  repos: Record<RepoType, number> & { total: number; private: number };
  lfs: { objects: number; bytes: number };
  sessions: number;
  tokens: number;
  xet: { files: number; file_bytes: number; xorbs: number; stored_bytes: number; dedup_ratio: number | null };
  storage: { stored_bytes: number; saved_by_dedup_bytes: number };
  recent_activity: Activity[];
}

export function stats(activity = 20): Promise<Stats> {
  return getJson<Stats>(`/admin/api/stats${query({ activity })}`);
}

// --- users ----------------------------------------------------------------------------------------------

export interface AdminUser {
  id: number;
  username: string;
  email: string;
  is_admin: boolean;
  disabled: boolean;
  created_at: string;
}

export function users(params: { search?: string; offset?: number; limit?: number }): Promise<Page & { users: AdminUser[] }> {
  return getJson(`/admin/api/users${query(params)}`);
}

export async function createUser(body: { username: string; email: string; password: string; is_admin: boolean }): Promise<AdminUser> {
  return (await (await request("POST", "/admin/api/users", body)).json()).user as AdminUser;
}

export async function updateUser(username: string, change: { disabled?: boolean; is_admin?: boolean }): Promise<AdminUser> {
  return (await (await request("PATCH", `/admin/api/users/${seg(username)}`, change)).json()).user as AdminUser;
}

/** Refused with 409 (and the reason as the error's message) while the user is the last super-admin of an
 * organization or created repos in other namespaces. */
export async function deleteUser(username: string): Promise<void> {
  await request("DELETE", `/admin/api/users/${seg(username)}`);
}

// --- repositories ---------------------------------------------------------------------------------------

export interface AdminRepo {
  id: string;
  type: RepoType;
  namespace: string;
  name: string;
  private: boolean;
  created_at: string;
  updated_at: string;
  /** Bytes counted against the namespace's quota; null until measured. */
  used_bytes?: number | null;
}

export function repositories(params: { search?: string; type?: RepoType | ""; offset?: number; limit?: number }): Promise<Page & { repositories: AdminRepo[] }> {
  return getJson(`/admin/api/repositories${query(params)}`);
}

function repoUrl(repo: Pick<AdminRepo, "type" | "namespace" | "name">): string {
  return `/admin/api/repositories/${repo.type}s/${seg(repo.namespace)}/${seg(repo.name)}`;
}

export async function setVisibility(repo: AdminRepo, isPrivate: boolean): Promise<AdminRepo> {
  return (await (await request("PATCH", repoUrl(repo), { private: isPrivate })).json()).repository as AdminRepo;
}

export async function transferRepo(repo: AdminRepo, namespace: string): Promise<AdminRepo> {
  return (await (await request("POST", `${repoUrl(repo)}/transfer`, { namespace })).json()).repository as AdminRepo;
}

export async function deleteRepo(repo: AdminRepo): Promise<void> {
  await request("DELETE", repoUrl(repo));
}

// --- quotas ---------------------------------------------------------------------------------------------

export interface Bucket {
  used: number;
  /** null: unlimited */
  limit: number | null;
}

export interface Quota {
  namespace: string;
  type: "user" | "org";
  private: Bucket;
  public: Bucket;
}

export function quotas(params: { search?: string; offset?: number; limit?: number }): Promise<Page & { quotas: Quota[] }> {
  return getJson(`/admin/api/quotas${query(params)}`);
}

/** A limit in bytes, null for unlimited, "default" for the hub's setting; an absent bucket stays as it is. */
export type LimitChange = number | null | "default";

export function setQuota(namespace: string, change: { private?: LimitChange; public?: LimitChange }): Promise<Quota> {
  return request("PUT", `/admin/api/quotas/${seg(namespace)}`, change).then((r) => r.json() as Promise<Quota>);
}

export function recalculateQuota(namespace: string): Promise<Quota> {
  return request("POST", `/admin/api/quotas/${seg(namespace)}/recalculate`).then((r) => r.json() as Promise<Quota>);
}

// --- registration invitations ---------------------------------------------------------------------------

export interface RegistrationInvitation {
  id: number;
  max_uses: number | null;
  uses: number;
  expires_at: string | null;
  created_at: string;
  is_valid: boolean;
  error: string | null;
  created_by: string;
}

export function registrationInvitations(): Promise<{ registration: "open" | "invite" | "closed"; invitations: RegistrationInvitation[] }> {
  return getJson("/admin/api/invitations");
}

/** The new link (its secret is shown this once). */
export async function createRegistrationInvitation(maxUses: number | null, expiresInDays: number | null): Promise<string> {
  const answer = await request("POST", "/api/invitations/register/create", { max_uses: maxUses, expires_in_days: expiresInDays });
  return (await answer.json()).invitation_link as string;
}

export async function revokeInvitation(id: number): Promise<void> {
  await request("DELETE", `/api/invitations/${id}`);
}

// --- storage and health ---------------------------------------------------------------------------------

export interface SiteStorage {
  lfs: { objects: number; bytes: number };
  xet: { files: number; file_bytes: number; xorbs: number; stored_bytes: number; saved_bytes: number };
  git: { bytes: number };
  stored_bytes: number;
  largest_repos: (AdminRepo & { lfs_bytes: number; git_bytes: number; used_bytes: number })[];
}

export function siteStorage(limit = 20): Promise<SiteStorage> {
  return getJson<SiteStorage>(`/admin/api/storage${query({ limit })}`);
}

export interface HealthCheck {
  name: string;
  ok: boolean;
  latency_ms: number;
  detail: string;
}

export function health(): Promise<{ ok: boolean; checks: HealthCheck[] }> {
  return getJson("/admin/api/health");
}
