// TeX in Markdown, as the Hub's cards write it: `$$...$$` blocks, ```math fences and `$...$` inline.
// This plugin only finds it: each piece becomes an element holding the TeX as text (class math-block or
// math-inline), which the card's enhancer (markdownEnhance.ts) typesets later with KaTeX, loaded only then.
// If that never happens, the reader still sees the TeX.
import type { MarkdownIt, StateBlock, StateInline } from "markdown-it";

const DOLLAR = 0x24;

/** `$...$`: an opening `$` not followed by a space, a closing `$` not preceded by a space nor followed by a
 * digit (so "$5 and $6" stays text), on one line. */
function inlineMath(state: StateInline, silent: boolean): boolean {
  const { src, pos } = state;
  if (src.charCodeAt(pos) !== DOLLAR || src.charCodeAt(pos + 1) === DOLLAR) return false;
  if (/\s/.test(src[pos + 1] ?? " ")) return false;
  let end = pos + 1;
  for (;;) {
    end = src.indexOf("$", end);
    if (end < 0) return false;
    if (src[end - 1] === "\\") {
      end += 1;
      continue;
    }
    break;
  }
  const tex = src.slice(pos + 1, end);
  if (!tex || tex.includes("\n") || /\s$/.test(tex) || /\d/.test(src[end + 1] ?? "")) return false;
  if (!silent) {
    const token = state.push("math_inline", "span", 0);
    token.content = tex;
  }
  state.pos = end + 1;
  return true;
}

/** `$$` on a line of its own up to the next line that ends with `$$` (or `$$ tex $$` on one line). */
function blockMath(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  const first = state.src.slice(state.bMarks[startLine] + state.tShift[startLine], state.eMarks[startLine]);
  if (!first.startsWith("$$") || state.sCount[startLine] - state.blkIndent >= 4) return false;
  let tex: string;
  let last = startLine;
  const rest = first.slice(2);
  if (rest.trimEnd().endsWith("$$")) {
    tex = rest.trimEnd().slice(0, -2);
  } else {
    const lines = [rest];
    for (last = startLine + 1; last < endLine; last++) {
      const line = state.src.slice(state.bMarks[last] + state.tShift[last], state.eMarks[last]);
      if (line.trimEnd().endsWith("$$")) {
        lines.push(line.trimEnd().slice(0, -2));
        break;
      }
      lines.push(line);
    }
    if (last >= endLine) return false; // never closed: plain text
    tex = lines.join("\n");
  }
  if (silent) return true;
  const token = state.push("math_block", "div", 0);
  token.content = tex.trim();
  token.map = [startLine, last + 1];
  state.line = last + 1;
  return true;
}

export function mathSyntax(md: MarkdownIt): void {
  md.inline.ruler.after("escape", "math_inline", inlineMath);
  md.block.ruler.before("fence", "math_block", blockMath, { alt: ["paragraph", "reference", "blockquote", "list"] });
  const escape = md.utils.escapeHtml;
  md.renderer.rules.math_inline = (tokens, idx) => `<span class="math-inline">${escape(tokens[idx].content)}</span>`;
  md.renderer.rules.math_block = (tokens, idx) => `<div class="math-block">${escape(tokens[idx].content)}</div>\n`;
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    if (tokens[idx].info.trim() === "math") {
      return `<div class="math-block">${escape(tokens[idx].content.trim())}</div>\n`;
    }
    return fence(tokens, idx, options, env, self);
  };
}
