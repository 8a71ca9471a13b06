// @vitest-environment node
// Node's Blob (jsdom's has no arrayBuffer()), as in a browser.
import { describe, expect, it } from "vitest";
import { buildCommitNdjson, bytesToBase64, joinRepoPath, planLfsUpload, sha256Streaming, utf8ToBase64 } from "../src/lib/writes";

// The one-shot digest of WebCrypto as the reference (it cannot stream, which is why the code does not use it).
async function hex(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function naiveBase64(data: Uint8Array): string {
  return btoa(Array.from(data, (b) => String.fromCharCode(b)).join(""));
}

describe("sha256Streaming", () => {
  const data = new Uint8Array(100_003).map((_, i) => (i * 31 + 7) % 251);

  it("matches a one-shot sha256 whatever the slice size", async () => {
    for (const chunkSize of [1_000, 4_096, 100_003, 1 << 20]) {
      expect(await sha256Streaming(new Blob([data]), { chunkSize })).toBe(await hex(data));
    }
  });

  it("reports progress per slice and hashes an empty file", async () => {
    const seen: number[] = [];
    await sha256Streaming(new Blob([data]), { chunkSize: 40_000, onProgress: (n) => seen.push(n) });
    expect(seen).toEqual([40_000, 80_000, 100_003]);
    expect(await sha256Streaming(new Blob([]))).toBe(await hex(new Uint8Array()));
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sha256Streaming(new Blob([data]), { signal: controller.signal })).rejects.toThrow("Cancelled");
  });
});

describe("buildCommitNdjson", () => {
  it("writes the header first and one line per operation", () => {
    const body = buildCommitNdjson({ summary: "Upload", parentCommit: "a".repeat(40) }, [
      { key: "file", path: "a.txt", content: utf8ToBase64("héllo") },
      { key: "lfsFile", path: "w.bin", oid: "b".repeat(64), size: 5000 },
      { key: "deletedFile", path: "old.txt" },
      { key: "deletedFolder", path: "dir/" },
    ]);
    expect(body.endsWith("\n")).toBe(true);
    const lines = body.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { key: "header", value: { summary: "Upload", description: "", parentCommit: "a".repeat(40) } },
      { key: "file", value: { path: "a.txt", content: "aMOpbGxv", encoding: "base64" } },
      { key: "lfsFile", value: { path: "w.bin", algo: "sha256", oid: "b".repeat(64), size: 5000 } },
      { key: "deletedFile", value: { path: "old.txt" } },
      { key: "deletedFolder", value: { path: "dir/" } },
    ]);
  });

  it("leaves out parentCommit when there is none", () => {
    expect(JSON.parse(buildCommitNdjson({ summary: "s" }, []).trim()).value).toEqual({ summary: "s", description: "" });
  });
});

describe("bytesToBase64", () => {
  it("matches Buffer for sizes above one slice", () => {
    const data = new Uint8Array(70_000).map((_, i) => i % 256);
    expect(bytesToBase64(data)).toBe(naiveBase64(data));
  });
});

describe("planLfsUpload", () => {
  it("skips an object the store already has", () => {
    expect(planLfsUpload({ oid: "x", size: 3 })).toEqual({ kind: "skip" });
  });

  it("makes one PUT of the whole file without chunk_size", () => {
    const plan = planLfsUpload({ oid: "x", size: 10, actions: { upload: { href: "http://s3/put" }, verify: { href: "/v" } } });
    expect(plan).toEqual({ kind: "basic", put: { partNumber: 1, url: "http://s3/put", start: 0, end: 10 }, verify: { href: "/v" } });
  });

  it("splits a multipart upload into ranges, the last one short", () => {
    const plan = planLfsUpload({ oid: "x", size: 25, actions: { upload: { href: "/complete",
      header: { chunk_size: "10", "1": "/p1", "2": "/p2", "3": "/p3" } } } });
    expect(plan.kind).toBe("multipart");
    if (plan.kind !== "multipart") return;
    expect(plan.parts.map((p) => [p.partNumber, p.url, p.start, p.end])).toEqual([[1, "/p1", 0, 10], [2, "/p2", 10, 20], [3, "/p3", 20, 25]]);
    expect(plan.complete).toEqual({ href: "/complete" });
  });

  it("refuses an error object and a header whose part count is wrong", () => {
    expect(() => planLfsUpload({ oid: "x", size: 1, error: { code: 403, message: "no write access" } })).toThrow("no write access");
    expect(() => planLfsUpload({ oid: "x", size: 25, actions: { upload: { href: "/c", header: { chunk_size: "10", "1": "/p1" } } } }))
      .toThrow("part 2 of 3");
    expect(() => planLfsUpload({ oid: "x", size: 5, actions: { upload: { href: "/c", header: { chunk_size: "10", "1": "/a", "2": "/b" } } } }))
      .toThrow("2 part URLs for 1 parts");
  });
});

describe("joinRepoPath", () => {
  it("drops empty and dot segments", () => {
    expect(joinRepoPath("", "a.txt")).toBe("a.txt");
    expect(joinRepoPath("d/", "./sub//b.bin")).toBe("d/sub/b.bin");
  });
});
