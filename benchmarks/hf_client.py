"""Upload or download one file with the stock ``huggingface_hub`` client; run as a subprocess.

``HF_ENDPOINT``, ``HF_HUB_DISABLE_XET`` and the token are read when huggingface_hub is imported, so the
benchmark sets them in this process's environment. Prints one JSON line with the timings.

Usage: python -m benchmarks.hf_client upload REPO_ID LOCAL_PATH PATH_IN_REPO
       python -m benchmarks.hf_client download REPO_ID PATH_IN_REPO CACHE_DIR
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    action, repo_id, *rest = argv
    started = time.perf_counter()
    import huggingface_hub

    # huggingface_hub imports its modules on first attribute access: take the function before the clock
    # starts, so the import (0.1-0.2 s) is not counted as transfer time.
    upload_file, hf_hub_download = huggingface_hub.upload_file, huggingface_hub.hf_hub_download
    imported = time.perf_counter()
    result: dict = {"version": huggingface_hub.__version__}
    if action == "upload":
        local_path, path_in_repo = rest
        info = upload_file(path_or_fileobj=local_path, path_in_repo=path_in_repo,
                           repo_id=repo_id, commit_message=f"Upload {path_in_repo}")
        result["commit"] = info.oid
    else:
        path_in_repo, cache_dir = rest
        result["path"] = hf_hub_download(repo_id, path_in_repo, cache_dir=cache_dir)
    done = time.perf_counter()
    # What the call costs the caller (upload: sha256, transfer, commit; download: HEAD, transfer).
    result.update({"import_s": imported - started, "seconds": done - imported})
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
