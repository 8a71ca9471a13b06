import { describe, expect, it } from "vitest";
import { clickedRange, lineHash, parseLineHash } from "../src/lib/lines";
import { fileKind, languageOf, looksLikeText } from "../src/lib/fileKind";
import { splitHtmlLines } from "../src/lib/htmlLines";
import { highlightHtml, highlightLines } from "../src/lib/highlight";

describe("line hashes", () => {
  it("reads one line and ranges in either order", () => {
    expect(parseLineHash("#L12")).toEqual({ start: 12, end: 12 });
    expect(parseLineHash("#L20-L12")).toEqual({ start: 12, end: 20 });
    expect(parseLineHash("#L3-5")).toEqual({ start: 3, end: 5 });
    for (const hash of ["", "#", "#L", "#L0", "#Lx", "#L1-", "#readme", "#L1-L2-L3"]) expect(parseLineHash(hash)).toBeNull();
  });

  it("writes them back and extends with shift", () => {
    expect(lineHash({ start: 4, end: 4 })).toBe("#L4");
    expect(lineHash({ start: 4, end: 9 })).toBe("#L4-L9");
    expect(clickedRange(9, { start: 4, end: 4 }, true)).toEqual({ start: 4, end: 9 });
    expect(clickedRange(2, { start: 4, end: 6 }, true)).toEqual({ start: 2, end: 4 });
    expect(clickedRange(9, { start: 4, end: 4 }, false)).toEqual({ start: 9, end: 9 });
    expect(clickedRange(9, null, true)).toEqual({ start: 9, end: 9 });
  });
});

describe("fileKind", () => {
  it("picks the viewer from the name", () => {
    expect(fileKind("docs/README.md")).toBe("markdown");
    expect(fileKind("a/Logo.SVG")).toBe("image");
    expect(fileKind("model.safetensors")).toBe("safetensors");
    expect(fileKind("train.csv")).toBe("csv");
    expect(fileKind("t.tsv")).toBe("tsv");
    expect(fileKind("d.jsonl")).toBe("jsonl");
    expect(fileKind("d/x.parquet")).toBe("parquet");
    expect(fileKind("pytorch_model.bin")).toBe("binary");
    expect(fileKind("config.json")).toBe("text");
    expect(fileKind("LICENSE")).toBe("text");
    expect(fileKind(".gitattributes")).toBe("text");
    expect(fileKind("weights.xyz")).toBe("unknown");
    expect(fileKind("noextension")).toBe("unknown");
  });

  it("maps languages and sniffs NUL bytes", () => {
    expect(languageOf("a.py")).toBe("python");
    expect(languageOf("pyproject.toml")).toBe("ini");
    expect(languageOf("page.html")).toBe("xml");
    expect(languageOf("data.csv")).toBeNull();
    expect(looksLikeText(new TextEncoder().encode("héllo\n"))).toBe(true);
    expect(looksLikeText(new Uint8Array([1, 2, 0, 3]))).toBe(false);
  });
});

describe("highlighted lines", () => {
  it("closes and reopens spans that cross a newline", () => {
    const lines = splitHtmlLines('a<span class="s">"x\ny</span>b\n\nc');
    expect(lines).toEqual(['a<span class="s">"x</span>', '<span class="s">y</span>b', "", "c"]);
  });

  it("escapes the file's markup and keeps one line a line", () => {
    const source = '"""doc\n<script>alert(1)</script>\n"""\nx = "<img src=x onerror=alert(1)>"\n';
    const lines = highlightLines(source, "python")!;
    expect(lines).toHaveLength(5);
    const doc = new DOMParser().parseFromString(lines.join("\n"), "text/html");
    expect(doc.querySelector("script, img")).toBeNull();
    expect(doc.body.textContent).toBe(source);
    expect(lines[1]).toContain("&lt;script&gt;");
    expect(highlightLines("x", "cobol")).toBeNull();
  });

  it("escapes markup in every language and in HTML and Markdown files too", () => {
    const payload = '</span><img src=x onerror=alert(1)><span class="x" onclick="alert(2)">';
    for (const language of ["python", "xml", "markdown", "json", "bash", "yaml", "javascript"]) {
      const html = highlightHtml(payload, language);
      expect(html, language).not.toBeNull();
      const doc = new DOMParser().parseFromString(html!, "text/html");
      expect(doc.querySelector("img, [onclick]"), language).toBeNull();
      expect(doc.body.textContent, language).toBe(payload);
    }
  });

  it("keeps leading blank lines", () => {
    expect(highlightLines("\n\nx = 1", "python")).toHaveLength(3);
  });
});
