"""Build the web UI when it is missing or older than its sources, so `kohakuhub serve` shows it on a fresh clone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

UI_SOURCES = ("src", "index.html", "package.json", "package-lock.json", "vite.config.ts")


def ui_is_stale(ui: Path) -> bool:
    """True when ``ui/dist`` is missing or any source changed after it was built."""
    index = ui / "dist" / "index.html"
    if not index.is_file():
        return True
    built = index.stat().st_mtime
    for name in UI_SOURCES:
        source = ui / name
        paths = source.rglob("*") if source.is_dir() else [source]
        if any(p.is_file() and p.stat().st_mtime > built for p in paths):
            return True
    return False


def ensure_ui_built(ui: Path, say=print) -> bool:
    """Build ``ui`` with npm if needed; True when a build is there. Without npm, says what to install."""
    if not (ui / "package.json").is_file():
        return (ui / "dist" / "index.html").is_file()  # an installed copy without sources: use what is there
    if not ui_is_stale(ui):
        return True
    npm = shutil.which("npm")
    if npm is None:
        say("The web UI is not built and npm is missing: install Node.js 20+ and npm to get it "
            "(the API works without it).")
        return (ui / "dist" / "index.html").is_file()
    say("Building the web UI (npm ci && npm run build in ui/) ...")
    try:
        if not (ui / "node_modules").is_dir():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ui, check=True)
        subprocess.run([npm, "run", "build"], cwd=ui, check=True)
    except subprocess.CalledProcessError as exc:
        say(f"Building the web UI failed ({exc}); serving the API only.")
        return False
    return True
