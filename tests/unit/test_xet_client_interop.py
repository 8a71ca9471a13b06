"""The real client (hf_xet) against a minimal loopback CAS built on our format library:
its xorbs and shards must pass our parsers and checks, and the global-dedup shard we
build (HMAC-keyed chunk hashes, footer with lookup tables) must make it deduplicate
instead of re-uploading. Only 127.0.0.1 is contacted."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kohakuhub.xet.chunking import split_chunks
from kohakuhub.xet.hashing import chunk_hash, file_hash, hash_to_hex, hex_to_hash, keyed_chunk_hash
from kohakuhub.xet.shard import Shard, build_shard, check_file_entry, parse_shard, xorb_entry_for
from kohakuhub.xet.xorb import parse_xorb
from tests.unit.xet_fixtures import client_upload_files, client_xorb

pytest.importorskip("hf_xet")

HMAC_KEY = bytes(range(1, 33))


class _Cas:
    def __init__(self) -> None:
        data, hs = client_xorb()
        parsed = parse_xorb(data, hex_to_hash(hs))
        self.xorbs = {parsed.hash: ([(c.hash, c.uncompressed_size) for c in parsed.chunks], len(data))}
        self.uploaded_xorb_bytes = 0
        self.dedup_hits = 0
        self.files = []
        self.errors: list[str] = []

    def dedup_shard(self, h: bytes) -> bytes | None:
        for xh, (chunks, size) in self.xorbs.items():
            if any(c == h for c, _ in chunks):
                keyed = [(keyed_chunk_hash(HMAC_KEY, c), n) for c, n in chunks]
                now = int(time.time())
                shard = Shard(xorbs=[xorb_entry_for(xh, keyed, size)], chunk_hash_hmac_key=HMAC_KEY,
                              creation_timestamp=now, key_expiry=now + 86400, has_footer=True)
                return build_shard(shard)
        return None


def _handler(cas: _Cas):
    class Handler(http.server.BaseHTTPRequestHandler):
        def _reply(self, status: int, body: bytes = b"", ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.startswith("/v1/chunks/"):
                body = cas.dedup_shard(hex_to_hash(self.path.rsplit("/", 1)[1]))
                if body is not None:
                    cas.dedup_hits += 1
                    return self._reply(200, body, "application/octet-stream")
            self._reply(404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                if self.path.startswith(("/v1/xorb-grants/", "/v2/")):
                    return self._reply(404)  # newer optional routes: the client falls back
                if self.path.startswith("/v1/xorbs/default/"):
                    xh = hex_to_hash(self.path.rsplit("/", 1)[1])
                    parsed = parse_xorb(body, xh)
                    cas.xorbs[xh] = ([(c.hash, c.uncompressed_size) for c in parsed.chunks], len(body))
                    cas.uploaded_xorb_bytes += len(body)
                    return self._reply(200, json.dumps({"was_inserted": True}).encode())
                if self.path == "/v1/shards":
                    shard = parse_shard(body)
                    for f in shard.files:
                        check_file_entry(f, lambda h: cas.xorbs.get(h, (None,))[0])
                        cas.files.append(f)
                    return self._reply(200, json.dumps({"result": 1}).encode())
                return self._reply(200, b"{}")
            except Exception as exc:  # recorded for the test, answered as the spec's 400
                cas.errors.append(f"{self.path}: {exc!r}")
                return self._reply(400)

        def log_message(self, *args):
            pass

    return Handler


def test_client_uploads_validate_and_dedup_against_our_shard(tmp_path: Path):
    cas = _Cas()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(cas))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        file1, _ = client_upload_files()
        content = file1 + b"a new tail that the stored xorb does not have"
        src = tmp_path / "f.bin"
        src.write_bytes(content)
        script = (
            "import hf_xet, sys, time\n"
            "data = open(sys.argv[2], 'rb').read()\n"
            "res = hf_xet.upload_bytes([data], sys.argv[1], ('tok', int(time.time()) + 3600), None, None, 'model')\n"
            "print(res[0].hash)\n"
        )
        env = dict(os.environ, HF_HOME=str(tmp_path / "hf"))  # no local dedup cache
        proc = subprocess.run(
            [sys.executable, "-c", script, f"http://127.0.0.1:{server.server_address[1]}", str(src)],
            env=env, capture_output=True, text=True, timeout=120,
        )
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert cas.errors == []
    expected = hash_to_hex(file_hash([(chunk_hash(c), len(c)) for c in split_chunks(content)]))
    assert proc.stdout.strip().splitlines()[-1] == expected
    assert cas.dedup_hits >= 1
    # only the changed tail travelled: far less than the 108 KB stored xorb
    assert 0 < cas.uploaded_xorb_bytes < 2000
    (entry,) = cas.files
    assert hash_to_hex(entry.file_hash) == expected
    stored = hex_to_hash(client_xorb()[1])
    assert any(s.xorb_hash == stored for s in entry.segments)
