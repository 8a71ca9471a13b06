import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../src/lib/markdown";
import { enhanceMarkdown } from "../src/lib/markdownEnhance";

function parse(html: string): HTMLElement {
  const root = document.createElement("article");
  root.innerHTML = html;
  return root;
}

describe("math in Markdown", () => {
  it("finds inline, block and fenced TeX and keeps it as text", () => {
    const root = parse(renderMarkdown("Energy $E=mc^2$ here.\n\n$$\n\\sum_i x_i\n$$\n\n```math\na<b\n```\n"));
    expect([...root.querySelectorAll(".math-inline")].map((e) => e.textContent)).toEqual(["E=mc^2"]);
    expect([...root.querySelectorAll(".math-block")].map((e) => e.textContent)).toEqual(["\\sum_i x_i", "a<b"]);
  });

  it("leaves prices, spaced dollars and unclosed blocks alone", () => {
    for (const text of ["It costs $5 and $6.", "a $ b $ c", "$$\nnever closed", "cost: $x$5"]) {
      expect(parse(renderMarkdown(text)).querySelector(".math-inline, .math-block"), text).toBeNull();
    }
  });

  it("keeps hostile TeX inert", () => {
    const root = parse(renderMarkdown("$<img src=x onerror=alert(1)>$\n\n$$\n</div><script>alert(1)</script>\n$$\n"));
    expect(root.querySelector("script, img")).toBeNull();
    expect(root.querySelector(".math-inline")?.textContent).toBe("<img src=x onerror=alert(1)>");
  });

  it("typesets with KaTeX as MathML only, without \\href or styles", async () => {
    const root = parse(renderMarkdown("$\\frac{a}{b}$ and $\\href{javascript:alert(1)}{x}$\n\n```python\nimport os\n```\n"));
    await enhanceMarkdown(root);
    const maths = root.querySelectorAll(".math-inline math");
    expect(maths.length).toBe(2);
    expect(root.querySelector("mfrac")).not.toBeNull();
    expect(root.querySelector("[style], a, [href], annotation")).toBeNull();
    expect(root.querySelector(".math-inline")?.textContent).toBe("ab"); // the formula, not its TeX again
    expect(root.querySelector("code .hljs-keyword")?.textContent).toBe("import");
  });
});
