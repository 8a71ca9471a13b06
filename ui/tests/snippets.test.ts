import { describe, expect, it } from "vitest";
import { cardFacts, repoSnippets } from "../src/lib/snippets";

describe("repoSnippets", () => {
  it("gives a model git, hf, hf_hub_download and from_pretrained", () => {
    const s = repoSnippets("http://hub:1", "model", "a/b");
    expect(s.map((x) => x.title)).toEqual(["git", "hf CLI", "huggingface_hub", "transformers"]);
    expect(s[0].code).toContain("git clone http://hub:1/a/b");
    expect(s[1].code).toContain("hf download a/b");
    expect(s[1].code).not.toContain("--repo-type");
    expect(s[3].code).toContain('from_pretrained("a/b")');
  });

  it("gives a dataset its prefix, repo type and load_dataset", () => {
    const s = repoSnippets("http://hub:1", "dataset", "a/d");
    expect(s[0].code).toContain("git clone http://hub:1/datasets/a/d");
    expect(s[1].code).toContain("hf download a/d --repo-type dataset");
    expect(s[2].code).toContain('repo_type="dataset"');
    expect(s[3].code).toContain('load_dataset("a/d")');
  });

  it("gives a space no library snippet", () => {
    expect(repoSnippets("http://h", "space", "a/s").map((x) => x.title)).toEqual(["git", "hf CLI", "huggingface_hub"]);
  });
});

describe("cardFacts", () => {
  it("keeps known keys in order, lists scalars and drops objects", () => {
    const facts = cardFacts({ tags: ["x", "y"], license: "mit", language: "en", widget: [{ a: 1 }], library_name: null,
      datasets: ["squad"], base_model: "org/base" });
    expect(facts).toEqual([
      { label: "License", values: ["mit"], filters: ["license:mit"] },
      { label: "Languages", values: ["en"], filters: ["en"] },
      { label: "Datasets", values: ["squad"], filters: ["dataset:squad"] },
      { label: "Base model", values: ["org/base"], filters: [null] },
      { label: "Tags", values: ["x", "y"], filters: ["x", "y"] },
    ]);
  });

  it("is empty without a card", () => {
    expect(cardFacts(null)).toEqual([]);
  });
});
