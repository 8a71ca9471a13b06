"""Which file requests count as a download of a repo, after the Hub's rules (its "Models Download Stats"
and "Datasets Download Stats" pages).

- model: a GET or HEAD of one of the Hub's default query files at the repo's root (``config.json``,
  ``config.yaml``, ``hyperparams.yaml``, ``meta.yaml``), of diffusers' ``model_index.json``, or of any
  ``.gguf`` file (the Hub's GGUF rule): one file a client reads once per model load, so sharded weights
  are not counted once per shard;
- dataset: a GET or HEAD of any file;
- space: never (the Hub shows no downloads for spaces).

In both cases all requests of one visitor to one repo within one window (services/downloads.py) count
once, as the Hub counts datasets: ``hf_hub_download``'s HEAD and GET of ``config.json`` are one download.
"""

from __future__ import annotations

MODEL_QUERY_FILES = frozenset({"config.json", "config.yaml", "hyperparams.yaml", "meta.yaml", "model_index.json"})
MODEL_QUERY_SUFFIXES = (".gguf",)


def counts_as_download(repo_type: str, path: str) -> bool:
    """Whether serving ``path`` (repo-relative) of a repo of ``repo_type`` counts as a download of it."""
    if repo_type == "dataset":
        return True
    if repo_type == "model":
        return path in MODEL_QUERY_FILES or path.lower().endswith(MODEL_QUERY_SUFFIXES)
    return False
