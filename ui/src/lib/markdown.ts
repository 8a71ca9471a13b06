import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

// Repo content is hostile: markdown-it with raw HTML off, then DOMPurify over its output, so neither a
// <script>, an event handler nor a javascript: link survives to the page.
const md = new MarkdownIt({ html: false, linkify: true });

/** The README body without its YAML metadata block. */
export function stripFrontMatter(text: string): string {
  const match = /^---\r?\n[\s\S]*?\r?\n---\r?\n?/.exec(text);
  return match ? text.slice(match[0].length) : text;
}

export function renderMarkdown(text: string): string {
  return DOMPurify.sanitize(md.render(stripFrontMatter(text)), { USE_PROFILES: { html: true } });
}

export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
