// People: user and organization profiles, an org's members and invitation links, a namespace's storage.
import { getJson, request } from "./client";

export interface UserOverview {
  user: string;
  fullname: string;
  /** Absolute URL of the picture, "" when there is none. */
  avatarUrl?: string;
  createdAt: string;
  numModels: number;
  numDatasets: number;
  numSpaces: number;
  orgs: { name: string }[];
}

export interface OrgOverview {
  name: string;
  fullname: string;
  avatarUrl?: string;
  details: string | null;
  createdAt: string;
  numUsers: number;
  numModels: number;
  numDatasets: number;
  numSpaces: number;
}

export type OrgRole = "visitor" | "member" | "admin" | "super-admin";
export const ORG_ROLES: OrgRole[] = ["visitor", "member", "admin", "super-admin"];

export interface OrgMember {
  user: string;
  fullname: string;
  role: OrgRole;
}

const seg = encodeURIComponent;

export function userOverview(username: string): Promise<UserOverview> {
  return getJson<UserOverview>(`/api/users/${seg(username)}/overview`);
}

export function orgOverview(org: string): Promise<OrgOverview> {
  return getJson<OrgOverview>(`/api/organizations/${seg(org)}/overview`);
}

export function orgMembers(org: string): Promise<OrgMember[]> {
  return getJson<OrgMember[]>(`/api/organizations/${seg(org)}/members`);
}

export async function createOrg(name: string, description: string): Promise<string> {
  return (await (await request("POST", "/org/create", { name, description })).json()).name as string;
}

export async function addMember(org: string, username: string, role: OrgRole): Promise<void> {
  await request("POST", `/org/${seg(org)}/members`, { username, role });
}

export async function setMemberRole(org: string, username: string, role: OrgRole): Promise<void> {
  await request("PUT", `/org/${seg(org)}/members/${seg(username)}`, { role });
}

export async function removeMember(org: string, username: string): Promise<void> {
  await request("DELETE", `/org/${seg(org)}/members/${seg(username)}`);
}

export interface OrgInvitation {
  id: number;
  role: OrgRole;
  max_uses: number | null;
  uses: number;
  expires_at: string | null;
  created_at: string;
  is_valid: boolean;
  error: string | null;
}

export async function orgInvitations(org: string): Promise<OrgInvitation[]> {
  return (await getJson<{ invitations: OrgInvitation[] }>(`/api/invitations/org/${seg(org)}/list`)).invitations;
}

/** The new link (its secret is shown this once). `maxUses` null: any number of uses. */
export async function createOrgInvitation(org: string, role: OrgRole, maxUses: number | null, expiresInDays: number): Promise<string> {
  const answer = await request("POST", `/api/invitations/org/${seg(org)}/create`,
    { role, max_uses: maxUses, expires_in_days: expiresInDays });
  return (await answer.json()).invitation_link as string;
}

export interface Bucket {
  used: number;
  limit: number | null;
}

export interface Storage {
  namespace: string;
  private: Bucket;
  public: Bucket;
  xet: { files: number; logical_bytes: number; stored_bytes: number; saved_bytes: number };
}

export function storage(namespace: string): Promise<Storage> {
  return getJson<Storage>(`/api/storage/${seg(namespace)}`);
}
