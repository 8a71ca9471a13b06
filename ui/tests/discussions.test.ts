import { describe, expect, it } from "vitest";
import type { DiscussionEvent } from "../src/api/discussions";
import { authorName, eventLine, kindLabel, pageCount } from "../src/lib/discussions";

function event(type: string, data: Partial<DiscussionEvent["data"]>, author?: string): DiscussionEvent {
  return { id: "1", type, createdAt: "2026-01-01T00:00:00Z", author: author ? { name: author, fullname: author } : undefined,
    data: data as DiscussionEvent["data"] };
}

describe("community words", () => {
  it("labels kinds and statuses", () => {
    expect(kindLabel({ isPullRequest: true, status: "open" })).toBe("Pull request");
    expect(kindLabel({ isPullRequest: false, status: "closed" })).toBe("Discussion · closed");
    expect(kindLabel({ isPullRequest: true, status: "merged" })).toBe("Pull request · merged");
  });

  it("says what an event did, and who, deleted accounts included", () => {
    expect(eventLine(event("status-change", { status: "closed" }, "ana"))).toBe("ana closed this");
    expect(eventLine(event("status-change", { status: "open" }, "ana"))).toBe("ana reopened this");
    expect(eventLine(event("status-change", { status: "merged" }))).toBe("deleted merged this");
    expect(eventLine(event("title-change", { from: "a", to: "b" }, "bo"))).toBe("bo changed the title from “a” to “b”");
    expect(eventLine(event("commit", { subject: "Fix", oid: "abc" }, "bo"))).toBe("bo added a commit: Fix");
    expect(authorName(undefined)).toBe("deleted");
  });

  it("counts pages", () => {
    expect(pageCount(0, 50)).toBe(1);
    expect(pageCount(50, 50)).toBe(1);
    expect(pageCount(51, 50)).toBe(2);
  });
});
