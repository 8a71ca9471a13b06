"""Shared test data for the Xet format tests.

``data/xet/client_upload.*`` were captured from the real client (hf_xet 1.8.0
``upload_bytes``) uploading the two files below to a throwaway local HTTP endpoint:
the xorb body it POSTed to /v1/xorbs/default/<hash> (the hash is in .xorb-hash) and the
shard body it POSTed to /v1/shards. They pin our parsers to the client's actual bytes.
"""

from __future__ import annotations

import math
import random
import struct
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data" / "xet"


def client_upload_files() -> tuple[bytes, bytes]:
    """The exact contents the fixtures were captured from (deterministic recipe)."""
    r = random.Random(7)
    floats = b"".join(struct.pack("<f", math.sin(i / 50.0) * 3.0) for i in range(40000))
    file1 = r.randbytes(9000) + floats + bytes(150_000) + (b"hello world " * 12000)
    return file1, b"tiny"


# What hf_xet reported for those files: (xet file hash string, size, sha256 hex).
CLIENT_FILE1 = ("7d02d30ff64ed22ef21894011acf48317abf53656b2952419d43c3796df8945e", 463000,
                "4e64f92234bad204c4d75e5732eb1625bc7c4a823631783b31d7484912144384")
CLIENT_FILE2 = ("6cd97ef4b5a01f8baf93e16f61a55b7df9771d885a7757e5031b763695724318", 4,
                "8950abfda7b727630760dd35bcf5c3daa7631aff223a90f7728c0d2521dde10c")


def client_xorb() -> tuple[bytes, str]:
    return ((DATA_DIR / "client_upload.xorb").read_bytes(),
            (DATA_DIR / "client_upload.xorb-hash").read_text().strip())


def client_shard() -> bytes:
    return (DATA_DIR / "client_upload.shard").read_bytes()
