// Accounts: sign up, log in and out, the profile, password, sessions and access tokens.
import { getJson, request } from "./client";

export type RegistrationMode = "open" | "invite" | "closed";

export async function registrationMode(): Promise<RegistrationMode> {
  return (await getJson<{ mode: RegistrationMode }>("/api/auth/registration")).mode;
}

export async function register(args: { username: string; email: string; password: string; invitation?: string }): Promise<void> {
  await request("POST", "/api/auth/register", { ...args, invitation: args.invitation || null });
}

export async function login(username: string, password: string): Promise<void> {
  await request("POST", "/api/auth/login", { username, password });
}

export async function logout(): Promise<void> {
  await request("POST", "/api/auth/logout");
}

export interface Me {
  username: string;
  email: string;
  fullname: string;
  is_admin: boolean;
  created_at: string;
}

export function me(): Promise<Me> {
  return getJson<Me>("/api/auth/me");
}

export async function setFullname(fullname: string): Promise<string> {
  return (await (await request("PUT", "/api/auth/profile", { fullname })).json()).fullname as string;
}

/** Upload a picture (PNG, JPEG, GIF or WebP, up to 1 MiB; the hub checks the bytes); resolves its URL. */
export async function setAvatar(username: string, picture: File): Promise<string> {
  const answer = await request("PUT", `/api/users/${encodeURIComponent(username)}/avatar`, picture,
    { contentType: picture.type || "application/octet-stream" });
  return ((await answer.json()) as { avatarUrl: string }).avatarUrl;
}

export async function removeAvatar(username: string): Promise<void> {
  await request("DELETE", `/api/users/${encodeURIComponent(username)}/avatar`);
}

/** How many other sessions the change ended. */
export async function changePassword(oldPassword: string, newPassword: string): Promise<number> {
  const answer = await request("POST", "/api/auth/password", { old_password: oldPassword, new_password: newPassword });
  return (await answer.json()).revoked_sessions as number;
}

export interface LoginSession {
  id: number;
  created_at: string;
  last_seen: string;
  expires_at: string;
  user_agent: string;
  address: string;
  current: boolean;
}

export async function sessions(): Promise<LoginSession[]> {
  return (await getJson<{ sessions: LoginSession[] }>("/api/auth/sessions")).sessions;
}

export async function revokeSession(id: number): Promise<void> {
  await request("DELETE", `/api/auth/sessions/${id}`);
}

export type TokenRole = "read" | "write";

export interface AccessToken {
  id: number;
  name: string;
  role: TokenRole;
  created_at: string;
  last_used: string | null;
  expires_at: string | null;
  expired: boolean;
}

export async function tokens(): Promise<AccessToken[]> {
  return (await getJson<{ tokens: AccessToken[] }>("/api/auth/tokens")).tokens;
}

/** The new token's secret: the hub shows it this once. `expiresInDays` null: never expires. */
export async function createToken(name: string, role: TokenRole, expiresInDays: number | null): Promise<string> {
  const answer = await request("POST", "/api/auth/tokens/create", { name, role, expires_in_days: expiresInDays });
  return (await answer.json()).token as string;
}

export async function revokeToken(id: number): Promise<void> {
  await request("DELETE", `/api/auth/tokens/${id}`);
}

export interface Invitation {
  kind: "org" | "register";
  org_name: string | null;
  role: string | null;
  expires_at: string | null;
  is_valid: boolean;
  error: string | null;
}

export function invitation(token: string): Promise<Invitation> {
  return getJson<Invitation>(`/api/invitations/${encodeURIComponent(token)}`);
}

export async function acceptInvitation(token: string): Promise<{ org_name: string; role: string }> {
  return (await request("POST", `/api/invitations/${encodeURIComponent(token)}/accept`)).json();
}
