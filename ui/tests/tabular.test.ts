import { describe, expect, it } from "vitest";
import { delimitedTable, jsonlTable, parseDelimited, prefixText, CELL_CHARS } from "../src/lib/tabular";
import { cellText, rangeBuffer } from "../src/lib/parquet";

describe("prefixText", () => {
  it("drops the partial last line of a cut prefix only", () => {
    const bytes = new TextEncoder().encode("a,b\n1,2\n3,");
    expect(prefixText(bytes, true)).toBe("a,b\n1,2\n");
    expect(prefixText(bytes, false)).toBe("a,b\n1,2\n3,");
    expect(prefixText(new TextEncoder().encode("no newline"), true)).toBe("");
  });
});

describe("delimited", () => {
  it("follows RFC 4180 quoting", () => {
    expect(parseDelimited('a,"b,c","say ""hi""","multi\nline"\r\nx,y,z,w\n', ",")).toEqual([
      ["a", "b,c", 'say "hi"', "multi\nline"],
      ["x", "y", "z", "w"],
    ]);
    expect(parseDelimited("a\tb\n1\t2", "\t")).toEqual([["a", "b"], ["1", "2"]]);
  });

  it("makes a table under the header row, capped and clipped", () => {
    const long = "x".repeat(CELL_CHARS + 10);
    const table = delimitedTable(`h1,h2\n1,${long}\n2,b\n3,c\n`, ",", 2, false);
    expect(table.columns).toEqual(["h1", "h2"]);
    expect(table.rows).toHaveLength(2);
    expect(table.rows[0][1]).toHaveLength(CELL_CHARS + 1);
    // A cut file: its last record may be partial even inside quotes, so it is never shown.
    expect(delimitedTable('h\n1\n"cut\n', ",", 10, true).rows).toEqual([["1"]]);
  });
});

describe("jsonlTable", () => {
  it("takes the union of keys as columns and stringifies cells", () => {
    const table = jsonlTable('{"a":1,"b":"x"}\n{"c":[1,2],"a":null}\n\n"bare"\nnot json\n', 10);
    expect(table.columns).toEqual(["a", "b", "c", "value", "error"]);
    expect(table.rows).toEqual([
      ["1", "x", "", "", ""],
      ["null", "", "[1,2]", "", ""],
      ["", "", "", "bare", ""],
      ["", "", "", "", "not valid JSON"],
    ]);
    expect(jsonlTable('{"a":1}\n{"a":2}\n{"a":3}\n', 2).rows).toEqual([["1"], ["2"]]);
  });
});

describe("parquet helpers", () => {
  it("prints cells of every type", () => {
    expect(cellText(10n)).toBe("10");
    expect(cellText(null)).toBe("");
    expect(cellText(new Date(Date.UTC(2024, 0, 2)))).toBe("2024-01-02T00:00:00.000Z");
    expect(cellText(new Uint8Array(3))).toBe("<3 bytes>");
    expect(cellText({ n: 5n, s: [1] })).toBe('{"n":"5","s":[1]}');
  });

  it("turns hyparquet's exclusive slice ends into inclusive ranges", async () => {
    const asked: [number, number][] = [];
    const buffer = rangeBuffer(async (start, end) => {
      asked.push([start, end]);
      return { bytes: new Uint8Array(end - start + 1).fill(7), total: 100 };
    }, 100);
    expect((await buffer.slice(90)).byteLength).toBe(10);
    expect((await buffer.slice(0, 8)).byteLength).toBe(8);
    expect((await buffer.slice(5, 5)).byteLength).toBe(0);
    expect(asked).toEqual([[90, 99], [0, 7]]);
  });
});
