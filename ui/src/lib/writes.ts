// Pure helpers of the upload flow (hf-client-protocol.md §5): the commit's NDJSON lines, the sha256 of a
// file read in slices (crypto.subtle cannot hash a stream), and the PUTs an LFS batch answer asks for.

export interface CommitHeader {
  summary: string;
  description?: string;
  parentCommit?: string;
}

export type CommitOp =
  | { key: "file"; path: string; content: string }
  | { key: "lfsFile"; path: string; oid: string; size: number }
  | { key: "deletedFile"; path: string }
  | { key: "deletedFolder"; path: string };

/** The commit body: a header line, then one line per operation (regular files inline as base64). */
export function buildCommitNdjson(header: CommitHeader, ops: CommitOp[]): string {
  const lines: unknown[] = [{ key: "header", value: { summary: header.summary, description: header.description ?? "",
    ...(header.parentCommit ? { parentCommit: header.parentCommit } : {}) } }];
  for (const op of ops) {
    if (op.key === "file") lines.push({ key: "file", value: { path: op.path, content: op.content, encoding: "base64" } });
    else if (op.key === "lfsFile") lines.push({ key: "lfsFile", value: { path: op.path, algo: "sha256", oid: op.oid, size: op.size } });
    else lines.push({ key: op.key, value: { path: op.path } });
  }
  return lines.map((line) => JSON.stringify(line)).join("\n") + "\n";
}

/** Base64 of bytes, in slices so a large file does not overflow the argument list of fromCharCode. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function utf8ToBase64(text: string): string {
  return bytesToBase64(new TextEncoder().encode(text));
}

export class AbortedError extends Error {
  constructor() {
    super("Cancelled");
  }
}

/** Something with slice/size (a File or Blob; tests pass a Blob). */
export interface Sliceable {
  size: number;
  slice(start: number, end: number): Blob;
}

const HASH_CHUNK = 4 * 1024 * 1024;

/** Hex sha256 of a file read in slices of `chunkSize` bytes: memory stays one slice whatever the size. */
export async function sha256Streaming(file: Sliceable, options: { chunkSize?: number; signal?: AbortSignal;
  onProgress?: (done: number) => void } = {}): Promise<string> {
  const { sha256 } = await import("@noble/hashes/sha2.js");
  const chunkSize = options.chunkSize ?? HASH_CHUNK;
  const hash = sha256.create();
  for (let start = 0; start < file.size; start += chunkSize) {
    if (options.signal?.aborted) throw new AbortedError();
    const end = Math.min(file.size, start + chunkSize);
    hash.update(new Uint8Array(await file.slice(start, end).arrayBuffer()));
    options.onProgress?.(end);
  }
  return Array.from(hash.digest(), (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface LfsAction {
  href: string;
  header?: Record<string, string>;
}

export interface LfsBatchObject {
  oid: string;
  size: number;
  actions?: { upload?: LfsAction; verify?: LfsAction };
  error?: { code: number; message: string };
}

/** One PUT of bytes [start, end) of the file. */
export interface PartPut {
  partNumber: number;
  url: string;
  start: number;
  end: number;
}

/** What to do for one object of a batch answer. */
export type LfsPlan =
  | { kind: "skip" }
  | { kind: "basic"; put: PartPut; verify?: LfsAction }
  | { kind: "multipart"; parts: PartPut[]; complete: LfsAction; verify?: LfsAction };

/** Turn a batch answer's object into the PUTs to make (hf-client-protocol.md §5.4).
 *
 * @throws Error when the object carries an error or its multipart header is inconsistent.
 */
export function planLfsUpload(object: LfsBatchObject): LfsPlan {
  if (object.error) throw new Error(object.error.message || `LFS error ${object.error.code}`);
  const upload = object.actions?.upload;
  if (!upload) return { kind: "skip" };
  const verify = object.actions?.verify;
  const header = upload.header ?? {};
  if (!header.chunk_size) {
    return { kind: "basic", put: { partNumber: 1, url: upload.href, start: 0, end: object.size }, verify };
  }
  const chunk = Number(header.chunk_size);
  if (!Number.isInteger(chunk) || chunk <= 0) throw new Error(`Bad chunk_size ${header.chunk_size}`);
  const count = Math.ceil(object.size / chunk);
  const parts: PartPut[] = [];
  for (let n = 1; n <= count; n++) {
    const url = header[String(n)];
    if (!url) throw new Error(`The batch answer has no URL for part ${n} of ${count}`);
    parts.push({ partNumber: n, url, start: (n - 1) * chunk, end: Math.min(object.size, n * chunk) });
  }
  const extra = Object.keys(header).filter((k) => /^\d+$/.test(k) && Number(k) > count);
  if (extra.length) throw new Error(`The batch answer has ${count + extra.length} part URLs for ${count} parts`);
  return { kind: "multipart", parts, complete: { href: upload.href }, verify };
}

/** A path inside a repo: no leading or trailing slash, no empty, "." or ".." segment. */
export function joinRepoPath(...pieces: string[]): string {
  return pieces.flatMap((p) => p.split("/")).filter((s) => s !== "" && s !== ".").join("/");
}
