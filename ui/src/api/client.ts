// The only module that calls fetch: the session cookie goes along, writes carry the CSRF header, and a
// failed call becomes an ApiError with the hub's X-Error-Message (which pages show as it is).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// Called when the hub answers 401: the app decides whether that means "your session ended" (main.ts).
let unauthorized: (() => void) | null = null;

export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

export type RepoType = "model" | "dataset" | "space";

export interface RepoSummary {
  id: string;
  tags?: string[];
  author: string;
  private: boolean;
  lastModified?: string;
  likes?: number;
  downloads?: number;
  trendingScore?: number;
  /** "auto" | "manual" when access must be requested first. */
  gated?: "auto" | "manual" | false;
}

export interface RepoInfo extends RepoSummary {
  sha: string;
  siblings?: { rfilename: string }[];
  cardData?: Record<string, unknown> | null;
}

export interface TreeEntry {
  type: "file" | "directory";
  path: string;
  size?: number;
  oid: string;
  lfs?: { oid: string; size: number } | null;
  lastCommit?: { id: string; title: string; date: string };
}

export interface TagOption {
  id: string;
  label: string;
  count: number;
}

/** The card tags public repos of a type use, per kind (library, license, language, pipeline_tag, ...). */
export function tagsByType(type: RepoType): Promise<Record<string, TagOption[]>> {
  return getJson<Record<string, TagOption[]>>(`/api/${PLURAL[type]}-tags-by-type`);
}

export const PLURAL: Record<RepoType, string> = { model: "models", dataset: "datasets", space: "spaces" };

function csrfToken(): string | undefined {
  return document.cookie.split("; ").find((c) => c.startsWith("csrf_token="))?.split("=")[1];
}

/** `contentType` sends `body` (a string) as it is instead of as JSON; `signal` aborts the call. */
export interface RequestOptions {
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export async function request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (method !== "GET" && method !== "HEAD") {
    const csrf = csrfToken();
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  if (body !== undefined) headers["Content-Type"] = options.contentType ?? "application/json";
  if (options.accept) headers["Accept"] = options.accept;
  // A Blob (an uploaded picture) or a string with its own type goes as it is; anything else as JSON.
  const raw = body instanceof Blob || (options.contentType !== undefined && typeof body === "string");
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    signal: options.signal,
    body: body === undefined ? undefined : raw ? (body as string | Blob) : JSON.stringify(body),
  });
  if (!response.ok) {
    if (response.status === 401) unauthorized?.();
    throw new ApiError(response.status, response.headers.get("X-Error-Message") || response.statusText);
  }
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request("GET", path)).json() as Promise<T>;
}

export async function getText(path: string): Promise<string> {
  return (await request("GET", path)).text();
}

/** Path of a repo below a prefix: models have none, datasets and spaces theirs. */
export function repoPath(type: RepoType, id: string): string {
  return type === "model" ? `/${id}` : `/${PLURAL[type]}/${id}`;
}

/** A list of repos; a parameter given as a list is repeated (the hub's `filter=a&filter=b`). */
export function listRepos(type: RepoType, params: Record<string, string | string[]>): Promise<RepoSummary[]> {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) for (const v of ([] as string[]).concat(value)) search.append(key, v);
  const query = search.toString();
  return getJson<RepoSummary[]>(`/api/${PLURAL[type]}${query ? `?${query}` : ""}`);
}

export function repoInfo(type: RepoType, id: string): Promise<RepoInfo> {
  return getJson<RepoInfo>(`/api/${PLURAL[type]}/${id}`);
}

export function tree(type: RepoType, id: string, revision: string, path = ""): Promise<TreeEntry[]> {
  const rest = path ? `/${path.split("/").map(encodeURIComponent).join("/")}` : "";
  return getJson<TreeEntry[]>(`/api/${PLURAL[type]}/${id}/tree/${encodeURIComponent(revision)}${rest}`);
}

export function resolveUrl(type: RepoType, id: string, revision: string, path: string): string {
  return `${repoPath(type, id)}/resolve/${encodeURIComponent(revision)}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

export interface TreePage {
  entries: TreeEntry[];
  /** Cursor of the next page (from the Link header), or null on the last page. */
  next: string | null;
}

/** One page of a folder: `limit` entries after `cursor`; `expand` adds each entry's lastCommit. */
export async function treePage(
  type: RepoType, id: string, revision: string, path: string,
  options: { limit: number; cursor?: string; expand?: boolean },
): Promise<TreePage> {
  const rest = path ? `/${path.split("/").map(encodeURIComponent).join("/")}` : "";
  const params = new URLSearchParams({ limit: String(options.limit) });
  if (options.cursor) params.set("cursor", options.cursor);
  if (options.expand) params.set("expand", "true");
  const response = await request("GET", `/api/${PLURAL[type]}/${id}/tree/${encodeURIComponent(revision)}${rest}?${params}`);
  const link = response.headers.get("Link")?.match(/<([^>]+)>;\s*rel="next"/);
  const next = link ? new URL(link[1], window.location.origin).searchParams.get("cursor") : null;
  return { entries: (await response.json()) as TreeEntry[], next };
}

export interface Refs {
  branches: { name: string; targetCommit: string }[];
  tags: { name: string; targetCommit: string }[];
}

export function refs(type: RepoType, id: string): Promise<Refs> {
  return getJson<Refs>(`/api/${PLURAL[type]}/${id}/refs`);
}

export interface RangeRead {
  bytes: Uint8Array;
  /** The file's full size when the answer said it (Content-Range), else null. */
  total: number | null;
}

/** Bytes `start` to `end` (inclusive) of a file URL, with a Range request.
 *
 * Never more than that range is read: a server that ignores Range (200 with the whole body) has its body
 * cancelled once enough bytes came (or at once, for a range not at the start). A range starting past the end of the file gives no bytes. */
export async function fetchRange(url: string, start: number, end: number, signal?: AbortSignal): Promise<RangeRead> {
  const response = await fetch(url, { headers: { Range: `bytes=${start}-${end}` }, credentials: "same-origin", signal });
  if (response.status === 416) return { bytes: new Uint8Array(0), total: null };
  if (!response.ok) {
    throw new ApiError(response.status, response.headers.get("X-Error-Message") || response.statusText);
  }
  const total = Number(response.headers.get("Content-Range")?.split("/")[1]);
  if (response.status !== 206 && start > 0) {
    void response.body?.cancel();
    throw new ApiError(response.status, "The server answered the whole file to a range request");
  }
  const wanted = end - start + 1;
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  while (reader && have < wanted) {
    const { done, value } = await reader.read();
    if (done) break;
    const part = value.subarray(0, wanted - have);
    chunks.push(part);
    have += part.byteLength;
  }
  if (have >= wanted) void reader?.cancel();
  const bytes = new Uint8Array(have);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { bytes, total: Number.isFinite(total) ? total : null };
}

