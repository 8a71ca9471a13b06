// Pure helpers of the accounts pages.

/** Where to go after logging in: a path of this site only, never another origin ("//evil", "/\evil"). */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}

/** A short description of a browser's user agent ("Chrome on Linux"), or the raw text when unknown. */
export function describeAgent(agent: string): string {
  if (!agent) return "Unknown client";
  const browser = [["Edg/", "Edge"], ["Firefox/", "Firefox"], ["Chrome/", "Chrome"], ["Safari/", "Safari"],
    ["python-httpx", "Python (httpx)"], ["curl/", "curl"]].find(([mark]) => agent.includes(mark))?.[1];
  const system = [["Windows", "Windows"], ["Mac OS X", "macOS"], ["Android", "Android"], ["iPhone", "iOS"],
    ["Linux", "Linux"]].find(([mark]) => agent.includes(mark))?.[1];
  if (!browser) return agent.slice(0, 80);
  return system ? `${browser} on ${system}` : browser;
}

/** "in 3 days", "2 hours ago": a timestamp relative to `now`, to the largest whole unit. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [["year", 31536000], ["month", 2592000], ["day", 86400],
    ["hour", 3600], ["minute", 60]];
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return "just now";
}
