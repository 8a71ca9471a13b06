"""Which file requests count as downloads (kohakuhub/lib/download_rules.py)."""

from __future__ import annotations

import pytest

from kohakuhub.lib.download_rules import counts_as_download


@pytest.mark.parametrize(("repo_type", "path", "counted"), [
    ("model", "config.json", True), ("model", "config.yaml", True), ("model", "hyperparams.yaml", True),
    ("model", "meta.yaml", True), ("model", "model_index.json", True), ("model", "llama-q4.gguf", True),
    ("model", "sub/llama.GGUF", True), ("model", "sub/config.json", False), ("model", "model.safetensors", False),
    ("model", "README.md", False), ("model", "Config.json", False),
    ("dataset", "data/train.parquet", True), ("dataset", "README.md", True),
    ("space", "config.json", False), ("space", "app.py", False),
])
def test_rules(repo_type: str, path: str, counted: bool) -> None:
    assert counts_as_download(repo_type, path) is counted
