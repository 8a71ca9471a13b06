"""``datasets`` against the hub: load_dataset of a CSV repo, push_to_hub round trip (section 9)."""

from __future__ import annotations

from typing import Any

from huggingface_hub import CommitOperationAdd, HfApi

TRAIN_CSV = "id,text,label\n" + "".join(f"{i},row {i},{i % 2}\n" for i in range(5))
TEST_CSV = "id,text,label\n" + "".join(f"{i},test {i},{i % 2}\n" for i in range(100, 103))


def load_csv(ctx: Any, repo_id: str) -> dict:
    """A dataset repo with data/train.csv and data/test.csv loads as a DatasetDict (and streams)."""
    import datasets

    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset")
    api.create_commit(repo_id, repo_type="dataset", commit_message="csv data", operations=[
        CommitOperationAdd("data/train.csv", TRAIN_CSV.encode()),
        CommitOperationAdd("data/test.csv", TEST_CSV.encode()),
    ])
    loaded = datasets.load_dataset(repo_id, cache_dir=f"{ctx.workdir}/datasets_cache")
    streamed = datasets.load_dataset(repo_id, split="test", streaming=True)
    return {
        "splits": {name: split.num_rows for name, split in loaded.items()},
        "columns": loaded["train"].column_names,
        "train_first": loaded["train"][0],
        "test_texts": list(loaded["test"]["text"]),
        "streamed": [row["text"] for row in streamed],
    }


def push_to_hub(ctx: Any, repo_id: str) -> dict:
    """Dataset.push_to_hub, then load_dataset of what was pushed."""
    import datasets

    rows = {"text": [f"sample {i}" for i in range(20)], "label": [i % 3 for i in range(20)]}
    datasets.Dataset.from_dict(rows).push_to_hub(repo_id, commit_message="push dataset")
    push_requests = ctx.take_requests()
    loaded = datasets.load_dataset(repo_id, split="train", cache_dir=f"{ctx.workdir}/datasets_cache")
    streamed = datasets.load_dataset(repo_id, split="train", streaming=True)  # range reads of the parquet
    api = HfApi()
    return {
        "push_requests": push_requests,
        "rows": {"text": list(loaded["text"]), "label": list(loaded["label"])},
        "streamed": [row["text"] for row in streamed],
        "expected": rows,
        "files": sorted(api.list_repo_files(repo_id, repo_type="dataset")),
        "parquet_lfs": [e.path for e in api.list_repo_tree(repo_id, repo_type="dataset", recursive=True)
                        if getattr(e, "lfs", None) is not None],
        "parquet_xet": [e.path for e in api.list_repo_tree(repo_id, repo_type="dataset", recursive=True)
                        if getattr(e, "xet_hash", None)],
    }
