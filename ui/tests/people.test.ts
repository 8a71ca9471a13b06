import { describe, expect, it } from "vitest";
import { humanSize, savedPercent, usedPercent } from "../src/lib/people";

describe("humanSize", () => {
  it("uses decimal units", () => {
    expect(humanSize(999)).toBe("999 bytes");
    expect(humanSize(1234567)).toBe("1.2 MB");
    expect(humanSize(5e12)).toBe("5.0 TB");
  });
});

describe("usedPercent and savedPercent", () => {
  it("bounds the meter and has no value without a limit", () => {
    expect(usedPercent(50, 200)).toBe(25);
    expect(usedPercent(300, 200)).toBe(100);
    expect(usedPercent(1, 0)).toBe(100);
    expect(usedPercent(1, null)).toBeNull();
  });
  it("says what share dedup saved", () => {
    expect(savedPercent(200, 150)).toBe(75);
    expect(savedPercent(0, 0)).toBe(0);
  });
});
