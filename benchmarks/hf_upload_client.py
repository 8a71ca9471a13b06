"""Upload one file with the stock ``huggingface_hub`` client; run as a subprocess by bench_upload.

``HF_ENDPOINT``, ``HF_HUB_DISABLE_XET`` and the token are read when huggingface_hub is imported, so the
benchmark sets them in this process's environment. Prints one JSON line with the timings.

Usage: python -m benchmarks.hf_upload_client REPO_ID LOCAL_PATH PATH_IN_REPO
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    repo_id, local_path, path_in_repo = argv
    started = time.perf_counter()
    import huggingface_hub

    imported = time.perf_counter()
    info = huggingface_hub.upload_file(path_or_fileobj=local_path, path_in_repo=path_in_repo,
                                       repo_id=repo_id, commit_message=f"Upload {path_in_repo}")
    done = time.perf_counter()
    print(json.dumps({
        "import_s": imported - started,
        "upload_s": done - imported,  # what upload_file costs the caller: sha256, transfer, commit
        "commit": info.oid,
        "version": huggingface_hub.__version__,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
