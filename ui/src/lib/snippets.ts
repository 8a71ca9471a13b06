// Copyable "use this repo" snippets: git clone, the hf CLI and Python, per repo type.
import type { RepoType } from "../api/client";
import { PLURAL } from "../api/client";

export interface Snippet {
  title: string;
  code: string;
}

/** Snippets for a repo on the hub at `origin` (the hub is the client's HF_ENDPOINT). */
export function repoSnippets(origin: string, type: RepoType, id: string): Snippet[] {
  const prefix = type === "model" ? "" : `${PLURAL[type]}/`;
  const typeFlag = type === "model" ? "" : ` --repo-type ${type}`;
  const typeArg = type === "model" ? "" : `, repo_type="${type}"`;
  const snippets: Snippet[] = [
    { title: "git", code: `git lfs install\ngit clone ${origin}/${prefix}${id}` },
    { title: "hf CLI", code: `export HF_ENDPOINT=${origin}\nhf download ${id}${typeFlag}` },
    {
      title: "huggingface_hub",
      code: `import os\nos.environ["HF_ENDPOINT"] = "${origin}"\nfrom huggingface_hub import hf_hub_download\n\npath = hf_hub_download("${id}", "README.md"${typeArg})`,
    },
  ];
  if (type === "model") {
    snippets.push({
      title: "transformers",
      code: `# HF_ENDPOINT=${origin}\nfrom transformers import AutoModel\n\nmodel = AutoModel.from_pretrained("${id}")`,
    });
  } else if (type === "dataset") {
    snippets.push({
      title: "datasets",
      code: `# HF_ENDPOINT=${origin}\nfrom datasets import load_dataset\n\nds = load_dataset("${id}")`,
    });
  }
  return snippets;
}

export interface CardFact {
  label: string;
  values: string[];
  /** For each value, the list filter that finds the repos sharing it (null: none). */
  filters: (string | null)[];
}

// [card key, label, the prefix of its tag in the lists' filter= (null: not a filter)], as the hub indexes them.
const FACTS: [string, string, string | null][] = [
  ["license", "License", "license:"],
  ["library_name", "Library", ""],
  ["pipeline_tag", "Task", ""],
  ["language", "Languages", ""],
  ["datasets", "Datasets", "dataset:"],
  ["base_model", "Base model", null],
  ["tags", "Tags", ""],
];

function asStrings(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v) => typeof v === "string" || typeof v === "number").map(String);
}

/** The card metadata the side panel shows, in a fixed order; other keys are left out. */
export function cardFacts(card: Record<string, unknown> | null | undefined): CardFact[] {
  if (!card) return [];
  return FACTS.map(([key, label, prefix]) => {
    const values = asStrings(card[key]);
    return { label, values, filters: values.map((v) => (prefix === null ? null : `${prefix}${v}`)) };
  }).filter((f) => f.values.length > 0);
}
