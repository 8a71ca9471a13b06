// What rendered Markdown gets after it is in the page, each part loaded only when the text has it:
// highlighted code blocks (highlight.js), typeset math (KaTeX) and Mermaid diagrams. Each works on the
// sanitized DOM and adds only markup it made itself, sanitized again; a part that fails leaves the text.
import DOMPurify from "dompurify";

const SKIPPED_FENCES = new Set(["mermaid", "math"]);

/** Highlight, typeset and draw what `root` holds; resolves when every part is done. */
export async function enhanceMarkdown(root: HTMLElement): Promise<void> {
  await Promise.all([highlightCode(root), typesetMath(root), drawDiagrams(root)]);
}

function fenceLanguage(code: Element): string | null {
  const found = [...code.classList].find((c) => c.startsWith("language-"));
  return found ? found.slice("language-".length).toLowerCase() : null;
}

async function highlightCode(root: HTMLElement): Promise<void> {
  const blocks = [...root.querySelectorAll("pre > code")].filter((code) => {
    const language = fenceLanguage(code);
    return language !== null && !SKIPPED_FENCES.has(language);
  });
  if (!blocks.length) return;
  const { highlightHtml } = await import("./highlight");
  for (const code of blocks) {
    const html = highlightHtml(code.textContent ?? "", fenceLanguage(code)!);
    if (html === null) continue;
    code.innerHTML = html; // highlight.js escaped the text; highlightHtml kept only spans with classes
    code.classList.add("hljs");
  }
}

async function typesetMath(root: HTMLElement): Promise<void> {
  const pieces = [...root.querySelectorAll<HTMLElement>(".math-inline, .math-block")];
  if (!pieces.length) return;
  const { default: katex } = await import("katex");
  for (const piece of pieces) {
    // MathML output: the browser typesets it with no KaTeX stylesheet and no inline styles, which the
    // pages' Content-Security-Policy (style-src 'self') would refuse. trust stays false: no \href, no \url.
    const html = katex.renderToString(piece.textContent ?? "", {
      displayMode: piece.classList.contains("math-block"), output: "mathml", throwOnError: false, trust: false,
    });
    // The TeX source annotation goes with its content (it would show as text beside the formula).
    piece.innerHTML = DOMPurify.sanitize(html, { USE_PROFILES: { mathMl: true }, ADD_FORBID_CONTENTS: ["annotation"] });
    piece.classList.add("math-typeset");
  }
}

let diagrams = 0;

async function drawDiagrams(root: HTMLElement): Promise<void> {
  const blocks = [...root.querySelectorAll("pre > code.language-mermaid")];
  if (!blocks.length) return;
  const { default: mermaid } = await import("mermaid");
  const dark = window.matchMedia?.("(prefers-color-scheme: dark)").matches;
  // Strict mode escapes labels and htmlLabels off keeps them SVG text. Mermaid still decodes entities
  // through a detached <div>'s innerHTML, where an <img onerror> of a label would fire: the pages' CSP
  // (no inline handlers) refuses it, and the test of hostile diagrams checks nothing ran.
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark ? "dark" : "default",
    htmlLabels: false });
  for (const code of blocks) {
    const pre = code.parentElement!;
    const source = code.textContent ?? "";
    try {
      // Parsed first: render() of an invalid diagram leaves a large error picture in the page's body.
      if (!(await mermaid.parse(source, { suppressErrors: true }))) throw new Error("not a diagram");
      diagrams += 1;
      const { svg } = await mermaid.render(`mermaid-diagram-${diagrams}`, source);
      // Shown as an image: an SVG in an <img> never runs scripts nor loads anything, whatever the
      // diagram's text held, and its own <style> applies inside the image only.
      const image = document.createElement("img");
      const url = URL.createObjectURL(new Blob([withIntrinsicSize(svg)], { type: "image/svg+xml" }));
      image.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
      image.src = url;
      image.alt = `Diagram: ${source.split("\n")[0].slice(0, 80)}`;
      image.className = "mermaid-diagram";
      pre.replaceWith(image);
    } catch {
      pre.classList.add("mermaid-error"); // not a valid diagram: the source stays as a code block
    }
  }
}

/** The SVG with width and height from its viewBox: Mermaid sizes it to its container (width 100%), which
 * an <img> cannot know, so the image would have no size of its own. */
function withIntrinsicSize(svg: string): string {
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  const root = doc.documentElement;
  const box = (root.getAttribute("viewBox") ?? "").split(/[\s,]+/).map(Number);
  if (box.length === 4 && box.every(Number.isFinite)) {
    root.setAttribute("width", String(Math.ceil(box[2])));
    root.setAttribute("height", String(Math.ceil(box[3])));
    root.removeAttribute("style");
  }
  return new XMLSerializer().serializeToString(doc);
}
