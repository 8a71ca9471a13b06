// Highlighted code is one HTML string whose spans may cross newlines (a multi-line string or comment).
// A table of lines needs each line to be well-formed on its own: close the spans open at each newline and
// reopen them on the next line. The input is the highlighter's own output (escaped text and <span>s only).

const TOKEN = /<span[^>]*>|<\/span>|[^<]+/g;

export function splitHtmlLines(html: string): string[] {
  const lines: string[] = [];
  const open: string[] = [];
  let current = "";
  for (const [token] of html.matchAll(TOKEN)) {
    if (token.startsWith("<span")) {
      open.push(token);
      current += token;
    } else if (token === "</span>") {
      open.pop();
      current += token;
    } else {
      const parts = token.split("\n");
      current += parts[0];
      for (const part of parts.slice(1)) {
        lines.push(current + "</span>".repeat(open.length));
        current = open.join("") + part;
      }
    }
  }
  lines.push(current);
  return lines;
}
