// The Community tab: discussions and pull requests (the Hub's /discussions routes; shapes in
// kohakuhub/api/routes/discussions.py). Comment texts are Markdown, rendered by the page's own sanitizer.
import { getJson, PLURAL, request, type RepoType } from "./client";
import type { ChangedFiles } from "./history";

export type DiscussionStatus = "open" | "closed" | "merged" | "draft";

export interface Author {
  name: string;
  fullname: string;
}

export interface DiscussionItem {
  num: number;
  title: string;
  status: DiscussionStatus;
  isPullRequest: boolean;
  createdAt: string;
  lastActivityAt?: string;
  numComments: number;
  /** Absent for a deleted account. */
  author?: Author;
  gitReference?: string;
  targetBranch?: string;
}

export interface DiscussionList {
  discussions: DiscussionItem[];
  count: number;
  start: number;
}

export interface CommentData {
  edited: boolean;
  hidden: boolean;
  latest: { raw: string; updatedAt: string };
  numEdits: number;
}

export interface DiscussionEvent {
  id: string;
  type: "comment" | "status-change" | "title-change" | "commit" | string;
  createdAt: string;
  author?: Author;
  data: CommentData & { status?: DiscussionStatus; from?: string; to?: string; subject?: string; oid?: string };
}

export interface DiscussionDetail extends DiscussionItem, Partial<ChangedFiles> {
  events: DiscussionEvent[];
  changes?: { base: string; head: string; targetCommitId: string | null; headCommitId: string | null; mergeCommitId?: string };
  filesWithConflicts?: string[] | true;
  mergeBase?: string | null;
}

export const PAGE_SIZE = 50;

function base(type: RepoType, id: string): string {
  return `/api/${PLURAL[type]}/${id}/discussions`;
}

export interface ListQuery {
  type?: "all" | "discussion" | "pull_request";
  status?: "all" | "open" | "closed" | "merged" | "draft";
  author?: string;
  search?: string;
  page?: number;
}

export function listDiscussions(type: RepoType, id: string, query: ListQuery): Promise<DiscussionList> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ type: query.type, status: query.status, author: query.author,
    search: query.search, p: query.page })) {
    if (value !== undefined && value !== "" && value !== 0) params.set(key, String(value));
  }
  const suffix = params.size ? `?${params}` : "";
  return getJson<DiscussionList>(`${base(type, id)}${suffix}`);
}

export function discussion(type: RepoType, id: string, num: number): Promise<DiscussionDetail> {
  return getJson<DiscussionDetail>(`${base(type, id)}/${num}`);
}

/** Open a discussion (or an empty pull request); resolves its number. */
export async function createDiscussion(type: RepoType, id: string, title: string, description: string,
  pullRequest = false): Promise<number> {
  const answer = await request("POST", base(type, id), { title, description, pullRequest });
  return ((await answer.json()) as { num: number }).num;
}

export async function comment(type: RepoType, id: string, num: number, text: string): Promise<void> {
  await request("POST", `${base(type, id)}/${num}/comment`, { comment: text });
}

export async function editComment(type: RepoType, id: string, num: number, commentId: string, text: string): Promise<void> {
  await request("POST", `${base(type, id)}/${num}/comment/${commentId}/edit`, { content: text });
}

export async function hideComment(type: RepoType, id: string, num: number, commentId: string): Promise<void> {
  await request("POST", `${base(type, id)}/${num}/comment/${commentId}/hide`);
}

export async function rename(type: RepoType, id: string, num: number, title: string): Promise<void> {
  await request("POST", `${base(type, id)}/${num}/title`, { title });
}

export async function setStatus(type: RepoType, id: string, num: number, status: "open" | "closed",
  comment?: string): Promise<void> {
  await request("POST", `${base(type, id)}/${num}/status`, { status, comment });
}

export async function merge(type: RepoType, id: string, num: number, comment?: string): Promise<void> {
  await request("POST", `${base(type, id)}/${num}/merge`, { comment });
}
