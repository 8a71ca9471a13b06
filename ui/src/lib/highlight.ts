// Loaded only by the text viewer and by rendered Markdown with code blocks (a dynamic import):
// highlight.js's core and the few languages repos hold most, so that pages without code never pay for it.
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

// Any "<" that does not open a class-only span or close one.
const FOREIGN_MARKUP = /<(?!span class="[\w\- ]*">|\/span>)/;

/** Highlighted HTML of `text`, or null when `language` is not registered.
 *
 * highlight.js escapes the text it is given, so its output is spans with classes and escaped text. That is
 * checked rather than trusted: anything else gives null (the caller shows plain text). A check, not a
 * sanitizer pass: DOMPurify over a large file's spans blocked the page for a tenth of a second. */
export function highlightHtml(text: string, language: string): string | null {
  if (!hljs.getLanguage(language)) return null;
  const html = hljs.highlight(text, { language, ignoreIllegals: true }).value;
  return FOREIGN_MARKUP.test(html) ? null : html;
}

/** Highlighted lines of `text` (HTML, one string a line), or null when `language` is not registered. */
export function highlightLines(text: string, language: string): string[] | null {
  const clean = highlightHtml(text, language);
  return clean === null ? null : splitHtmlLines(clean);
}
