// Loaded only by the text viewer and by rendered Markdown with code blocks (a dynamic import):
// highlight.js's core and the few languages repos hold most, so that pages without code never pay for it.
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import ini from "highlight.js/lib/languages/ini";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { splitHtmlLines } from "./htmlLines";

const LANGUAGES = { bash, ini, javascript, json, markdown, python, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

/** Highlighted HTML of `text` (spans with classes only), or null when `language` is not registered. */
export function highlightHtml(text: string, language: string): string | null {
  if (!hljs.getLanguage(language)) return null;
  const html = hljs.highlight(text, { language, ignoreIllegals: true }).value;
  return DOMPurify.sanitize(html, { ALLOWED_TAGS: ["span"], ALLOWED_ATTR: ["class"] });
}

/** Highlighted lines of `text` (HTML, one string a line), or null when `language` is not registered.
 *
 * highlight.js escapes the text it is given; its output still goes through DOMPurify keeping only spans
 * and their classes, so that no markup of the file could ever reach the page. */
export function highlightLines(text: string, language: string): string[] | null {
  const clean = highlightHtml(text, language);
  return clean === null ? null : splitHtmlLines(clean);
}
