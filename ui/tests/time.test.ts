import { describe, expect, it } from "vitest";
import { absoluteTime, relativeTime } from "../src/lib/time";

const NOW = new Date("2026-12-06T12:00:00Z");

describe("relativeTime", () => {
  it("picks the largest whole unit", () => {
    expect(relativeTime("2026-12-06T11:59:30Z", NOW)).toBe("just now");
    expect(relativeTime("2026-12-06T11:55:00Z", NOW)).toBe("5 minutes ago");
    expect(relativeTime("2026-12-06T09:00:00Z", NOW)).toBe("3 hours ago");
    expect(relativeTime("2026-12-05T12:00:00Z", NOW)).toBe("yesterday");
    expect(relativeTime("2026-11-20T12:00:00Z", NOW)).toBe("2 weeks ago");
    expect(relativeTime("2024-12-01T12:00:00Z", NOW)).toBe("2 years ago");
    expect(relativeTime("2026-12-08T12:00:00Z", NOW)).toBe("in 2 days");
  });

  it("says nothing for an unreadable date", () => {
    expect(relativeTime("not a date", NOW)).toBe("");
    expect(absoluteTime("nope")).toBe("");
  });

  it("gives the absolute form in UTC", () => {
    expect(absoluteTime("2026-12-06T19:30:05.123Z")).toBe("2026-12-06 19:30:05 UTC");
  });
});
