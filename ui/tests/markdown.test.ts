import { describe, expect, it } from "vitest";
import { formatSize } from "../src/lib/format";
import { renderMarkdown, stripFrontMatter } from "../src/lib/markdown";

describe("renderMarkdown", () => {
  it("points relative images at the repo's resolve URL and leaves others alone", () => {
    const base = "/a/b/resolve/main";
    const html = renderMarkdown("![x](img/a%20b.png) ![y](./c.png) ![z](https://e.org/z.png) ![r](/r.png)", base);
    const srcs = [...new DOMParser().parseFromString(html, "text/html").querySelectorAll("img")].map((i) => i.getAttribute("src"));
    expect(srcs).toEqual(["/a/b/resolve/main/img/a%20b.png", "/a/b/resolve/main/c.png", "https://e.org/z.png", "/r.png"]);
    expect(renderMarkdown("![x](img/a.png)")).toContain('src="img/a.png"');
  });

  it("renders tables and code", () => {
    const html = renderMarkdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n```py\nprint(1)\n```\n");
    expect(html).toContain("<table>");
    expect(html).toContain("<code");
  });

  it("leaves no script, handler or javascript: link from hostile input", () => {
    const html = renderMarkdown(
      '<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n[x](javascript:alert(1))\n\n<svg onload=alert(1)>',
    );
    const doc = new DOMParser().parseFromString(html, "text/html");
    expect(doc.querySelector("script, svg, img[onerror]")).toBeNull();
    expect([...doc.querySelectorAll("a")].every((a) => !a.href.startsWith("javascript:"))).toBe(true);
  });

  it("drops the YAML metadata block", () => {
    expect(stripFrontMatter("---\nlicense: mit\n---\n# Title\n")).toBe("# Title\n");
    expect(renderMarkdown("---\nlicense: mit\n---\n# Title\n")).not.toContain("license");
  });
});

describe("formatSize", () => {
  it("uses decimal units like the Hub", () => {
    expect(formatSize(999)).toBe("999 B");
    expect(formatSize(1500)).toBe("1.5 KB");
    expect(formatSize(2_000_000_000)).toBe("2.0 GB");
  });
});
