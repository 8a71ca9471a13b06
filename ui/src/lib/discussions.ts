// Words of the Community tab, kept apart from the pages so they are tested alone.
import type { DiscussionEvent, DiscussionItem } from "../api/discussions";

/** "Pull request" or "Discussion", with its status where it is not simply open. */
export function kindLabel(item: Pick<DiscussionItem, "isPullRequest" | "status">): string {
  const kind = item.isPullRequest ? "Pull request" : "Discussion";
  return item.status === "open" ? kind : `${kind} · ${item.status}`;
}

/** Who did it, as the Hub shows a deleted account. */
export function authorName(author: { name: string } | undefined): string {
  return author?.name ?? "deleted";
}

const STATUS_PHRASES: Record<string, string> = {
  open: "reopened this", closed: "closed this", merged: "merged this", draft: "made this a draft",
};

/** One line for an event that is not a comment ("alice closed this", "renamed from A to B"). */
export function eventLine(event: DiscussionEvent): string {
  const who = authorName(event.author);
  switch (event.type) {
    case "status-change":
      return `${who} ${STATUS_PHRASES[event.data.status ?? ""] ?? `set the status to ${event.data.status}`}`;
    case "title-change":
      return `${who} changed the title from “${event.data.from ?? ""}” to “${event.data.to ?? ""}”`;
    case "commit":
      return `${who} added a commit: ${event.data.subject ?? ""}`;
    default:
      return `${who}: ${event.type}`;
  }
}

/** How many pages a list of `count` items makes. */
export function pageCount(count: number, size: number): number {
  return Math.max(1, Math.ceil(count / size));
}
