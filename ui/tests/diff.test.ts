import { describe, expect, it } from "vitest";
import { parseUnifiedDiff } from "../src/lib/diff";

describe("parseUnifiedDiff", () => {
  it("numbers old and new lines through hunks", () => {
    const rows = parseUnifiedDiff("@@ -1,3 +1,3 @@ title\n a\n-b\n+c\n d\n@@ -10 +10,2 @@\n x\n+y\n");
    expect(rows.map((r) => [r.kind, r.oldLine, r.newLine, r.text])).toEqual([
      ["hunk", null, null, "@@ -1,3 +1,3 @@ title"],
      ["context", 1, 1, "a"],
      ["del", 2, null, "b"],
      ["add", null, 2, "c"],
      ["context", 3, 3, "d"],
      ["hunk", null, null, "@@ -10 +10,2 @@"],
      ["context", 10, 10, "x"],
      ["add", null, 11, "y"],
    ]);
  });

  it("starts an added file at line 1 and keeps notes and empty context lines", () => {
    const rows = parseUnifiedDiff("@@ -0,0 +1,2 @@\n+one\n+\n\\ No newline at end of file\n");
    expect(rows.map((r) => [r.kind, r.newLine, r.text])).toEqual([
      ["hunk", null, "@@ -0,0 +1,2 @@"], ["add", 1, "one"], ["add", 2, ""], ["note", null, "\\ No newline at end of file"],
    ]);
    expect(parseUnifiedDiff("@@ -1 +1 @@\n\n")[1]).toEqual({ kind: "context", oldLine: 1, newLine: 1, text: "" });
  });

  it("ignores header lines before the first hunk and keeps markup as text", () => {
    const rows = parseUnifiedDiff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-<script>alert(1)</script>\n+<img src=x onerror=alert(1)>\n");
    expect(rows.map((r) => r.text)).toEqual(["@@ -1 +1 @@", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]);
    expect(parseUnifiedDiff("")).toEqual([]);
  });
});
