"""How repo content is served to browsers: never as a page that runs at the hub's origin.

Anyone who can write a repo chooses its bytes and file names. A file a browser would render as a document
or run (HTML, XHTML, SVG, XML, JavaScript, and anything of a type we do not know) would otherwise execute
next to the session cookie and the readable CSRF cookie. So every file answer carries
``X-Content-Type-Options: nosniff`` (set for every response by the API's middleware) and
``Content-Security-Policy: sandbox`` (a document opened anyway gets an opaque origin, no scripts, no
forms), and only types that browsers show passively (images other than SVG, audio, video, plain text and
JSON) are ``inline``; everything else is an ``attachment``.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from urllib.parse import quote

# A document opened from a file URL runs in a unique origin without scripts, plugins, forms or popups.
SANDBOX_POLICY = "sandbox"

# text/* subtypes that browsers render as documents or run as scripts.
_ACTIVE_TEXT = {"text/html", "text/xml", "text/xsl", "text/javascript", "text/ecmascript", "text/x-javascript"}
_PASSIVE_APPLICATION = {"application/json"}


@dataclass(frozen=True)
class FilePresentation:
    """The Content-Type and Content-Disposition a file is served with."""

    media_type: str
    disposition: str

    @property
    def inline(self) -> bool:
        return self.disposition.startswith("inline")


def media_type_of(path: str) -> str:
    """The file's type from its name, ``application/octet-stream`` when unknown."""
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def is_passive(media_type: str) -> bool:
    """True for types a browser only displays (never runs nor renders as a document of the origin)."""
    major = media_type.split("/", 1)[0]
    if media_type == "image/svg+xml":
        return False  # SVG documents run scripts
    if major in ("image", "audio", "video"):
        return True
    if major == "text":
        return media_type not in _ACTIVE_TEXT
    return media_type in _PASSIVE_APPLICATION


def content_disposition(path: str, *, inline: bool) -> str:
    """``inline`` or ``attachment`` with the file's base name, RFC 6266 encoded (ASCII fallback plus UTF-8)."""
    name = path.rsplit("/", 1)[-1]
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename*=UTF-8''{quote(name)}; filename=\"{ascii_name}\""


def present(path: str) -> FilePresentation:
    """How the file at ``path`` is served: its type, inline only when passive."""
    media_type = media_type_of(path)
    return FilePresentation(media_type, content_disposition(path, inline=is_passive(media_type)))
