"""Debian's Chromium, headless, driven over the DevTools protocol: open a URL, read the DOM it produced.

Downloads are denied, so a navigation that the server answers as an attachment ends with
``net::ERR_ABORTED`` and no document. Started with the flags this machine needs (no sandbox as root, no
background networking: the machine reaches no outside host).
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import signal
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

from websockets.sync.client import ClientConnection, connect

from tests.servers.process import child_setup, end_process

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--remote-debugging-port=0"]


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium with one page; ``open(url)`` returns the page's HTML, or None for a download."""

    def __init__(self, profile: Path) -> None:
        binary = chromium_binary()
        if binary is None:
            raise RuntimeError("chromium is not installed (apt-get install -y chromium)")
        self._process = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                         stderr=subprocess.PIPE, text=True,
                                         preexec_fn=child_setup(None, signal.SIGKILL))
        self._ids = itertools.count(1)
        self._events: list[dict] = []  # received while waiting for an answer
        self._ws: ClientConnection | None = None
        self._stack = ExitStack()
        try:
            self._ws = self._stack.enter_context(connect(self._devtools_url(), max_size=None))
            self._call("Browser.setDownloadBehavior", behavior="deny")
            target = self._call("Target.createTarget", url="about:blank")["targetId"]
            self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            self._call("Page.enable", session=self._session)
        except BaseException:
            self.close()
            raise

    def _devtools_url(self) -> str:
        assert self._process.stderr is not None
        for line in self._process.stderr:  # ends when Chromium exits
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                return found.group(1)
        raise RuntimeError(f"chromium exited ({self._process.wait()}) before it listened for DevTools")

    def _call(self, method: str, session: str | None = None, **params: object) -> dict:
        assert self._ws is not None
        number = next(self._ids)
        message: dict[str, object] = {"id": number, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        while True:  # events arrive in between: kept for _wait_for_load
            answer = json.loads(self._ws.recv(timeout=30))
            if "method" in answer:
                self._events.append(answer)
            elif answer.get("id") == number:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def _wait_for_load(self, timeout: float = 30) -> None:
        assert self._ws is not None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            event = self._events.pop(0) if self._events else json.loads(self._ws.recv(timeout=left))
            if event.get("method") == "Page.loadEventFired" and event.get("sessionId") == self._session:
                return
        raise TimeoutError("the page did not finish loading")

    def open(self, url: str) -> str | None:
        """Navigate to ``url``; the document's HTML once loaded, or None when no document was made."""
        self._events.clear()
        navigation = self._call("Page.navigate", session=self._session, url=url)
        if navigation.get("errorText"):
            return None
        self._wait_for_load()
        result = self._call("Runtime.evaluate", session=self._session,
                            expression="document.documentElement.outerHTML")
        return str(result["result"].get("value", ""))

    def close(self) -> None:
        self._stack.close()
        end_process(self._process, signal.SIGTERM, grace=10)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
