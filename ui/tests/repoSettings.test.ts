import { describe, expect, it } from "vitest";
import { deleteConfirmed, describeUsage, idFromRepoUrl, moveOwners, refNameProblem, splitRepoId } from "../src/lib/repoSettings";

describe("splitRepoId", () => {
  it("splits at the first slash", () => {
    expect(splitRepoId("acme/bert-base")).toEqual({ namespace: "acme", name: "bert-base" });
  });
});

describe("deleteConfirmed", () => {
  it("needs the full id exactly", () => {
    expect(deleteConfirmed("alice/model", "alice/model")).toBe(true);
    for (const typed of ["", "model", "alice/", "Alice/model", "alice/model ", " alice/model", "alice/mode"]) {
      expect(deleteConfirmed(typed, "alice/model")).toBe(false);
    }
  });
});

describe("moveOwners", () => {
  const orgs = [{ name: "acme", role: "admin" }, { name: "guild", role: "member" }, { name: "club", role: "visitor" }];

  it("offers the user and the orgs where they may create", () => {
    expect(moveOwners("alice", orgs, "alice")).toEqual(["alice", "acme", "guild"]);
    expect(moveOwners("alice", orgs, "ACME")).toEqual(["alice", "acme", "guild"]);
  });

  it("keeps the current owner first when it is not one of them (a site admin's view)", () => {
    expect(moveOwners("root", [], "bob")).toEqual(["bob", "root"]);
  });
});

describe("idFromRepoUrl", () => {
  it("reads the id after the type's prefix", () => {
    expect(idFromRepoUrl("http://127.0.0.1:28080/Acme/new-name", "model")).toBe("Acme/new-name");
    expect(idFromRepoUrl("http://hub/datasets/acme/data", "dataset")).toBe("acme/data");
    expect(idFromRepoUrl("https://hub.example/spaces/a/b", "space")).toBe("a/b");
  });
});

describe("describeUsage", () => {
  it("shows used of limit with a percentage, capped at 100", () => {
    expect(describeUsage(1_500_000, 10_000_000)).toBe("1.5 MB of 10.0 MB (15%)");
    expect(describeUsage(20, 10)).toMatch(/\(100%\)$/);
    expect(describeUsage(0, 0)).toMatch(/\(100%\)$/);
  });

  it("says when there is no limit", () => {
    expect(describeUsage(1_500_000, null)).toBe("1.5 MB (no limit)");
  });
});

describe("refNameProblem", () => {
  it("accepts plain names and names the mistake otherwise", () => {
    expect(refNameProblem("v1.0")).toBe("");
    expect(refNameProblem("")).toBe("Enter a name");
    expect(refNameProblem("a b")).toMatch(/spaces/);
    expect(refNameProblem("release/v1")).toBe("");
  });
});
