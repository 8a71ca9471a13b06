import { describe, expect, it } from "vitest";
import { describeAgent, relativeTime, safeNext } from "../src/lib/accounts";

describe("safeNext", () => {
  it("keeps a path of this site", () => {
    expect(safeNext("/settings/tokens?x=1#a")).toBe("/settings/tokens?x=1#a");
  });
  it("refuses other origins and non-paths", () => {
    for (const hostile of ["//evil.example/x", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "", undefined, ["/a"]]) {
      expect(safeNext(hostile)).toBe("/");
    }
  });
});

describe("describeAgent", () => {
  it("names common browsers and systems", () => {
    expect(describeAgent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36")).toBe("Chrome on Linux");
    expect(describeAgent("Mozilla/5.0 (Windows NT 10.0; rv:120.0) Gecko/20100101 Firefox/120.0")).toBe("Firefox on Windows");
    expect(describeAgent("python-httpx/0.27")).toBe("Python (httpx)");
    expect(describeAgent("")).toBe("Unknown client");
  });
});

describe("relativeTime", () => {
  const now = new Date("2026-01-10T12:00:00Z");
  it("says past and future in the largest unit", () => {
    expect(relativeTime("2026-01-10T10:00:00Z", now)).toBe("2 hours ago");
    expect(relativeTime("2026-01-13T12:00:00Z", now)).toBe("in 3 days");
    expect(relativeTime("2026-01-10T11:59:50Z", now)).toBe("just now");
  });
});
