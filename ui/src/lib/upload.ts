// The upload flow of the client (hf-client-protocol.md §5.1): preupload, sha256 + LFS batch + part PUTs for
// "lfs" files, then one NDJSON commit. Cancelling aborts every request in flight and commits nothing.
import type { RepoType } from "../api/client";
import { commit, completeMultipart, lfsBatch, preupload, putPart, verifyLfs } from "../api/writes";
import { AbortedError, bytesToBase64, planLfsUpload, sha256Streaming, type CommitOp } from "./writes";

export interface UploadItem {
  path: string;
  file: File;
  /** What the row shows: "waiting", "hashing", "uploading", "done", "skipped", "error". */
  state: string;
  /** 0..1 */
  progress: number;
  mode?: "lfs" | "regular";
  error?: string;
}

const PREUPLOAD_BATCH = 256;

async function sample(file: File): Promise<string> {
  return bytesToBase64(new Uint8Array(await file.slice(0, 512).arrayBuffer()));
}

async function uploadLfs(type: RepoType, id: string, revision: string, items: UploadItem[], oids: Map<UploadItem, string>,
  signal: AbortSignal): Promise<void> {
  const objects = await lfsBatch(type, id, revision, items.map((i) => ({ oid: oids.get(i)!, size: i.file.size })), signal);
  for (const item of items) {
    const oid = oids.get(item)!;
    const object = objects.find((o) => o.oid === oid);
    if (!object) throw new Error(`The LFS batch answer left out ${item.path}`);
    const plan = planLfsUpload(object);
    item.state = "uploading";
    if (plan.kind === "skip") {
      item.progress = 1;
      item.state = "done";
      continue;
    }
    const parts = plan.kind === "basic" ? [plan.put] : plan.parts;
    const sent = new Array<number>(parts.length).fill(0);
    const etags: { partNumber: number; etag: string }[] = [];
    for (const part of parts) {
      const etag = await putPart(part.url, item.file.slice(part.start, part.end), (loaded) => {
        sent[part.partNumber - 1] = loaded;
        item.progress = 0.5 + sent.reduce((a, b) => a + b, 0) / Math.max(1, item.file.size) / 2;
      }, signal);
      etags.push({ partNumber: part.partNumber, etag });
    }
    if (plan.kind === "multipart") await completeMultipart(plan.complete, oid, etags, signal);
    if (plan.verify) await verifyLfs(plan.verify, oid, item.file.size, signal);
    item.progress = 1;
    item.state = "done";
  }
}

/** Upload `items` and commit them to `revision`; returns the commit id. Throws AbortedError on cancel. */
export async function uploadAndCommit(type: RepoType, id: string, revision: string, items: UploadItem[],
  summary: string, description: string, signal: AbortSignal): Promise<string> {
  const modes = new Map<string, "lfs" | "regular">();
  for (let i = 0; i < items.length; i += PREUPLOAD_BATCH) {
    const batch = items.slice(i, i + PREUPLOAD_BATCH);
    const files = await Promise.all(batch.map(async (item) => ({ path: item.path, sample: await sample(item.file), size: item.file.size })));
    for (const answer of await preupload(type, id, revision, files, signal)) {
      modes.set(answer.path, answer.uploadMode);
      if (answer.shouldIgnore) modes.delete(answer.path);
    }
  }
  const kept = items.filter((item) => modes.has(item.path));
  for (const item of items) if (!modes.has(item.path)) item.state = "skipped";
  const lfs = kept.filter((item) => modes.get(item.path) === "lfs" && item.file.size > 0);
  const oids = new Map<UploadItem, string>();
  for (const item of lfs) {
    item.mode = "lfs";
    item.state = "hashing";
    // The first half of the bar is hashing, the second the upload.
    oids.set(item, await sha256Streaming(item.file, { signal, onProgress: (done) => { item.progress = done / item.file.size / 2; } }));
    item.progress = 0.5;
  }
  if (lfs.length) await uploadLfs(type, id, revision, lfs, oids, signal);
  const ops: CommitOp[] = [];
  for (const item of kept) {
    if (signal.aborted) throw new AbortedError();
    const oid = oids.get(item);
    if (oid) ops.push({ key: "lfsFile", path: item.path, oid, size: item.file.size });
    else {
      item.mode = "regular";
      ops.push({ key: "file", path: item.path, content: bytesToBase64(new Uint8Array(await item.file.arrayBuffer())) });
    }
  }
  if (!ops.length) throw new Error("Nothing to commit: every file is ignored");
  if (signal.aborted) throw new AbortedError();
  const answer = await commit(type, id, revision, { summary, description }, ops, signal);
  for (const item of kept) {
    item.progress = 1;
    item.state = "done";
  }
  return answer.commitOid;
}
