// Likes, downloads and gated repos: the repo page's like button, the access request form of a gated repo,
// and the owners' review of requests (the Hub's /like, /ask-access and /user-access-request routes).
import { getJson, PLURAL, request, type RepoType } from "./client";

function base(type: RepoType, id: string): string {
  return `/api/${PLURAL[type]}/${id}`;
}

export interface LikeState {
  liked: boolean;
  likes: number;
}

export function likeState(type: RepoType, id: string): Promise<LikeState> {
  return getJson<LikeState>(`${base(type, id)}/like`);
}

/** Like (true) or unlike (false); the hub answers the state after. */
export async function setLiked(type: RepoType, id: string, liked: boolean): Promise<void> {
  await request(liked ? "POST" : "DELETE", `${base(type, id)}/like`);
}

export type GateMode = "auto" | "manual" | false;

export interface GateField {
  name: string;
  /** text | checkbox | date_picker | country | select */
  type: string;
  options: string[];
}

export interface AccessRequestState {
  status: "pending" | "accepted" | "rejected";
  timestamp: string;
  rejectionReason: string | null;
  fields: Record<string, unknown> | null;
}

export interface Gate {
  gated: GateMode;
  prompt: string | null;
  fields: GateField[];
  hasAccess: boolean;
  request: AccessRequestState | null;
}

export function gate(type: RepoType, id: string): Promise<Gate> {
  return getJson<Gate>(`${base(type, id)}/ask-access`);
}

/** Ask for access with the form's answers; resolves the request's status ("accepted" at once on auto). */
export async function askAccess(type: RepoType, id: string, answers: Record<string, string | boolean>): Promise<string> {
  return ((await (await request("POST", `${base(type, id)}/ask-access`, answers)).json()) as { status: string }).status;
}

export async function setGated(type: RepoType, id: string, mode: GateMode): Promise<void> {
  await request("PUT", `${base(type, id)}/settings`, { gated: mode });
}

export type RequestStatus = "pending" | "accepted" | "rejected";

export interface AccessRequest {
  user: { user: string; fullname: string; email?: string };
  requestId: string;
  status: RequestStatus;
  timestamp: string;
  fields: Record<string, unknown> | null;
  rejectionReason?: string;
}

export function accessRequests(type: RepoType, id: string, status: RequestStatus): Promise<AccessRequest[]> {
  return getJson<AccessRequest[]>(`${base(type, id)}/user-access-request/${status}`);
}

export async function handleRequest(type: RepoType, id: string, user: string, status: RequestStatus,
  rejectionReason?: string): Promise<void> {
  await request("POST", `${base(type, id)}/user-access-request/handle`, { user, status, rejectionReason });
}
