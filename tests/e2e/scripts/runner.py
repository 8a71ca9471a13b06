"""Entry point of a client subprocess: ``python -m tests.e2e.scripts.runner module:function out.json``.

Keyword arguments arrive as JSON on stdin. The scenario's return value and every HTTP request the
client made through its shared session are written to ``out.json``. A failing scenario exits non-zero
with its traceback on stderr.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Context:
    """What a scenario knows about its hub and caller (taken from the environment the test set)."""

    endpoint: str
    token: str
    username: str
    other_token: str
    workdir: str
    mode: str
    requests: list[str] = field(default_factory=list)

    def take_requests(self) -> list[str]:
        """Requests recorded since the last call, as ``"METHOD /path?query[ @other-host][ [range]]"``."""
        taken, self.requests[:] = list(self.requests), []
        return taken


def _install_recorder(ctx: Context) -> None:
    import httpx2
    from huggingface_hub.utils import _http

    def record(request: httpx2.Request) -> None:
        url = urlsplit(str(request.url))
        line = f"{request.method} {url.path}" + (f"?{url.query}" if url.query else "")
        if url.netloc != urlsplit(ctx.endpoint).netloc:
            line += f" @{url.netloc}"
        if "range" in request.headers:
            line += f" [{request.headers['range']}]"
        ctx.requests.append(line)

    def factory() -> httpx2.Client:
        return httpx2.Client(event_hooks={"request": [_http.hf_request_event_hook, record]},
                             follow_redirects=True, timeout=None)

    _http.set_client_factory(factory)


def main() -> None:
    target, out_path = sys.argv[1], sys.argv[2]
    kwargs = json.loads(sys.stdin.read() or "{}")
    ctx = Context(
        endpoint=os.environ["HF_ENDPOINT"], token=os.environ["HF_TOKEN"],
        username=os.environ["E2E_USERNAME"], other_token=os.environ["E2E_OTHER_TOKEN"],
        workdir=os.environ["E2E_WORKDIR"], mode=os.environ["E2E_MODE"],
    )
    _install_recorder(ctx)
    module_name, function_name = target.split(":")
    scenario = getattr(importlib.import_module(f"tests.e2e.scripts.{module_name}"), function_name)
    result = scenario(ctx, **kwargs)
    from huggingface_hub.utils._runtime import is_xet_available

    with open(out_path, "w") as out:
        json.dump({"result": result, "requests": ctx.requests, "xet": is_xet_available()}, out)


if __name__ == "__main__":
    main()
