"""Markdown of discussion comments rendered to HTML (the Hub's ``latest.html``).

CommonMark plus tables and strikethrough, with raw HTML escaped rather than passed through, and
markdown-it's link validation (no ``javascript:``, ``vbscript:``, ``file:`` or non-image ``data:`` URLs).
The web UI still sanitizes whatever it shows: this HTML is for API clients (``DiscussionComment.rendered``).
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render_markdown(text: str) -> str:
    """HTML of a comment's Markdown."""
    return _renderer().render(text)
