import { describe, expect, it } from "vitest";
import { formatCount, headerLength, MAX_HEADER_BYTES, parseHeader } from "../src/lib/safetensors";

function lengthBytes(n: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, n, true);
  return bytes;
}

describe("safetensors", () => {
  it("reads the little-endian header length and refuses huge ones", () => {
    expect(headerLength(lengthBytes(1234n))).toBe(1234);
    expect(headerLength(new Uint8Array([0x10, 0x01, 0, 0, 0, 0, 0, 0]))).toBe(272);
    expect(() => headerLength(lengthBytes(BigInt(MAX_HEADER_BYTES) + 1n))).toThrow(/above/);
    expect(() => headerLength(lengthBytes(2n ** 63n))).toThrow(/above/);
    expect(() => headerLength(new Uint8Array(4))).toThrow(/shorter/);
  });

  it("counts parameters in total and per dtype, scalars included", () => {
    const header = parseHeader(JSON.stringify({
      __metadata__: { format: "pt", n: 3 },
      "a.weight": { dtype: "F16", shape: [4, 8], data_offsets: [0, 64] },
      "a.bias": { dtype: "F32", shape: [8], data_offsets: [64, 96] },
      step: { dtype: "I64", shape: [], data_offsets: [96, 104] },
      "b.weight": { dtype: "F16", shape: [2, 0], data_offsets: [104, 104] },
    }));
    expect(header.total).toBe(41);
    expect(header.byDtype).toEqual([["F16", 32], ["F32", 8], ["I64", 1]]);
    expect(header.tensors.map((t) => t.name)).toEqual(["a.weight", "a.bias", "step", "b.weight"]);
    expect(header.metadata).toEqual({ format: "pt", n: "3" });
  });

  it("names what is wrong with a bad header", () => {
    expect(() => parseHeader("{")).toThrow(/not valid JSON/);
    expect(() => parseHeader("[1]")).toThrow(/not a JSON object/);
    expect(() => parseHeader('{"t": {"dtype": "F32", "shape": [-1]}}')).toThrow(/"t"/);
    expect(parseHeader("{}").total).toBe(0);
  });

  it("formats counts like the Hub", () => {
    expect(formatCount(999)).toBe("999");
    expect(formatCount(7_500)).toBe("7.5K");
    expect(formatCount(350_000_000)).toBe("350M");
    expect(formatCount(1_230_000_000)).toBe("1.2B");
  });
});
