import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";
import { mathSyntax } from "./mathSyntax";

// Repo content is hostile: markdown-it with raw HTML off, then DOMPurify over its output, so neither a
// <script>, an event handler nor a javascript: link survives to the page.
const md = new MarkdownIt({ html: false, linkify: true }).use(mathSyntax);

// A relative image (`![x](images/a.png)`) is a file of the repo: point it at the resolve URL of the
// revision shown. Absolute URLs, root paths and data: URLs are left to DOMPurify as they are.
const RELATIVE = /^(?![a-z][a-z0-9+.-]*:|\/|#)/i;
const defaultImage = md.renderer.rules.image!;

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // a lone "%" is a literal character of the file name
  }
}
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const raw = tokens[idx].attrGet("src");
  const src = raw === null ? "" : String(raw);
  const base = (env as { imageBase?: string } | undefined)?.imageBase;
  if (base && src && RELATIVE.test(src)) {
    const clean = src.replace(/^\.\//, "");
    tokens[idx].attrSet("src", `${base}/${clean.split("/").map((p: string) => encodeURIComponent(safeDecode(p))).join("/")}`);
  }
  return defaultImage(tokens, idx, options, env, self);
};

/** The README body without its YAML metadata block. */
export function stripFrontMatter(text: string): string {
  const match = /^---\r?\n[\s\S]*?\r?\n---\r?\n?/.exec(text);
  return match ? text.slice(match[0].length) : text;
}

/** Sanitized HTML of a Markdown text; `imageBase` (a resolve URL prefix) anchors relative images. */
export function renderMarkdown(text: string, imageBase?: string): string {
  return DOMPurify.sanitize(md.render(stripFrontMatter(text), { imageBase }), { USE_PROFILES: { html: true } });
}
