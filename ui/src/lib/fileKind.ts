// Which viewer a file gets, from its name (as the Hub's blob page decides): the bytes are never trusted
// to say what they are, and a file of an unknown kind is sniffed for NUL bytes before showing as text.

export type FileKind = "markdown" | "image" | "safetensors" | "csv" | "tsv" | "jsonl" | "parquet" | "text" | "binary" | "unknown";

const IMAGES = new Set(["png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "ico", "avif"]);
const BINARIES = new Set([
  "bin", "pt", "pth", "ckpt", "h5", "onnx", "gguf", "ggml", "pb", "tflite", "msgpack", "npy", "npz", "pkl",
  "pickle", "zip", "gz", "tgz", "tar", "bz2", "xz", "zst", "7z", "arrow", "mp3", "wav", "flac", "ogg", "mp4",
  "webm", "mov", "avi", "pdf", "so", "dll", "exe", "wasm", "model", "db", "sqlite",
]);
const TEXT = new Set([
  "txt", "py", "json", "yaml", "yml", "toml", "ini", "cfg", "conf", "xml", "html", "htm", "js", "mjs", "cjs",
  "ts", "tsx", "jsx", "vue", "css", "sh", "bash", "zsh", "c", "h", "cpp", "hpp", "cc", "rs", "go", "java",
  "rb", "php", "lua", "sql", "r", "jl", "swift", "kt", "scala", "env", "gitattributes", "gitignore", "log",
  "lock", "rst", "tex", "ipynb", "svg+xml",
]);
const TEXT_NAMES = new Set(["license", "readme", "dockerfile", "makefile", "notice", "authors", "copying"]);

export function extension(path: string): string {
  const name = path.split("/").pop() ?? "";
  const dot = name.lastIndexOf(".");
  return dot <= 0 && !name.startsWith(".") ? "" : name.slice(dot + 1).toLowerCase();
}

export function fileKind(path: string): FileKind {
  const ext = extension(path);
  const name = (path.split("/").pop() ?? "").toLowerCase();
  if (ext === "md" || ext === "markdown") return "markdown";
  if (IMAGES.has(ext)) return "image";
  if (ext === "safetensors") return "safetensors";
  if (ext === "csv") return "csv";
  if (ext === "tsv") return "tsv";
  if (ext === "jsonl" || ext === "ndjson") return "jsonl";
  if (ext === "parquet") return "parquet";
  if (BINARIES.has(ext)) return "binary";
  if (TEXT.has(ext) || TEXT_NAMES.has(name)) return "text";
  return "unknown";
}

/** True when the bytes look like text: no NUL byte (git's own binary test, on the first 8000 bytes). */
export function looksLikeText(bytes: Uint8Array): boolean {
  return !bytes.subarray(0, 8000).includes(0);
}

/** The highlight.js language of a file, or null to show it plain. */
export function languageOf(path: string): string | null {
  const ext = extension(path);
  const byExt: Record<string, string> = {
    py: "python", json: "json", ipynb: "json", yaml: "yaml", yml: "yaml", md: "markdown", markdown: "markdown",
    sh: "bash", bash: "bash", zsh: "bash", js: "javascript", mjs: "javascript", cjs: "javascript", jsx: "javascript",
    ts: "typescript", tsx: "typescript", toml: "ini", ini: "ini", cfg: "ini", conf: "ini", xml: "xml",
    html: "xml", htm: "xml", svg: "xml", vue: "xml",
  };
  return byExt[ext] ?? null;
}
