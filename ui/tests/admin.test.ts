import { describe, expect, it } from "vitest";
import { activityLink, activityText, dedupShare, latencyText, limitText, pageRange, parseLimit, plural, usageText } from "../src/lib/admin";
import { notFound, router } from "../src/router";

describe("parseLimit", () => {
  it("reads sizes in decimal and binary units, and bytes", () => {
    expect(parseLimit("10 GB")).toEqual({ value: 10e9 });
    expect(parseLimit("1.5tb")).toEqual({ value: 1.5e12 });
    expect(parseLimit(" 512 MiB ")).toEqual({ value: 512 * 1024 ** 2 });
    expect(parseLimit("1000")).toEqual({ value: 1000 });
    expect(parseLimit("0 B")).toEqual({ value: 0 });
  });
  it("reads unlimited and default", () => {
    expect(parseLimit("unlimited")).toEqual({ value: null });
    expect(parseLimit("Default")).toEqual({ value: "default" });
  });
  it("names what it cannot read", () => {
    expect(parseLimit("lots")).toEqual({ error: expect.stringContaining('"lots" is not a size') });
    expect(parseLimit("-5 GB")).toEqual({ error: expect.stringContaining("is not a size") });
    expect(parseLimit("5 parsecs")).toEqual({ error: expect.stringContaining('Unknown unit "parsecs"') });
    expect(parseLimit("1e300 TB")).toHaveProperty("error");
    expect(parseLimit("99999999999 TB")).toEqual({ error: "99999999999 TB is too large" });
  });
  it("reads back what limitText shows", () => {
    for (const limit of [null, 10e9, 1500e6, 999]) {
      const shown = limitText(limit);
      expect(parseLimit(shown)).toEqual({ value: limit });
    }
  });
});

describe("usageText", () => {
  it("shows the share of a limit, or that there is none", () => {
    expect(usageText(1.2e6, 10e6)).toBe("1.2 MB of 10.0 MB (12%)");
    expect(usageText(5, 0)).toBe("5 bytes of 0 bytes (100%)");
    expect(usageText(2500, null)).toBe("2.5 KB (no limit)");
  });
});

describe("activity", () => {
  it("says what happened and links to it", () => {
    const user = { kind: "user_created", name: "ada", repo_type: null } as const;
    const org = { kind: "org_created", name: "acme", repo_type: null } as const;
    const model = { kind: "repo_updated", name: "ada/bert", repo_type: "model" } as const;
    const data = { kind: "repo_created", name: "ada/set", repo_type: "dataset" } as const;
    expect([user, org, model, data].map(activityText)).toEqual(
      ["New user ada", "New organization acme", "Updated model ada/bert", "New dataset ada/set"]);
    expect([user, org, model, data].map(activityLink)).toEqual(["/ada", "/organizations/acme", "/ada/bert", "/datasets/ada/set"]);
  });
});

describe("small formats", () => {
  it("pages, latencies and dedup shares", () => {
    expect(pageRange(0, 50, 123)).toBe("1-50 of 123");
    expect(pageRange(100, 23, 123)).toBe("101-123 of 123");
    expect(pageRange(0, 0, 0)).toBe("none");
    expect(latencyText(0.4213)).toBe("0.42 ms");
    expect(latencyText(123.4)).toBe("123 ms");
    expect(latencyText(2345)).toBe("2.3 s");
    expect(dedupShare(200, 50)).toBe(25);
    expect(dedupShare(0, 0)).toBe(0);
    expect([plural(1, "model"), plural(0, "file"), plural(3, "Xet file")]).toEqual(["1 model", "0 files", "3 Xet files"]);
  });
});

describe("admin routes", () => {
  it("every /admin URL is the portal's, for site admins only", () => {
    const dashboard = router.resolve("/admin");
    expect(dashboard.meta.siteAdmin).toBe(true);
    expect(dashboard.matched[0].path).toBe("/admin");
    const users = router.resolve("/admin/users");
    expect(users.params.section).toBe("users");
    expect(users.meta.siteAdmin).toBe(true);
    for (const other of ["/admin/bogus", "/admin/users/extra", "/admin/health/x/y"]) {
      const route = router.resolve(other);
      expect(route.meta.siteAdmin, other).toBe(true);
      expect(route.params.section, other).toBeUndefined(); // the 404 page, not a repo named admin/...
      expect(route.name, other).toBeUndefined();
    }
    expect(router.resolve("/alice/admin").meta.siteAdmin).toBeUndefined();
    expect(router.resolve("/administrator").meta.siteAdmin).toBeUndefined();
  });
  it("sends others to the 404 page at the same address", () => {
    const to = router.resolve("/admin/users?search=a#top");
    const answer = router.resolve(notFound(to));
    expect(answer.name).toBe("not-found");
    expect(answer.fullPath).toBe("/admin/users?search=a#top");
    expect(answer.meta.siteAdmin).toBeUndefined();
  });
});
