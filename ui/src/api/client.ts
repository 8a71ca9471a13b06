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

export type RepoType = "model" | "dataset" | "space";

export interface RepoSummary {
  id: string;
  author: string;
  private: boolean;
  lastModified?: string;
  likes?: number;
  downloads?: number;
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
  const raw = options.contentType !== undefined && typeof body === "string";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    signal: options.signal,
    body: body === undefined ? undefined : raw ? (body as string) : JSON.stringify(body),
  });
  if (!response.ok) {
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

export function listRepos(type: RepoType, params: Record<string, string>): Promise<RepoSummary[]> {
  const query = new URLSearchParams(params).toString();
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
