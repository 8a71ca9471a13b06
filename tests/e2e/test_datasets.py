"""The ``datasets`` library against the hub."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_load_dataset_csv_repo(hf):
    r = hf.run("datasets_hub:load_csv", repo_id=hf.repo_id("csv")).result
    assert r["splits"] == {"train": 5, "test": 3}
    assert r["columns"] == ["id", "text", "label"]
    assert r["train_first"] == {"id": 0, "text": "row 0", "label": 0}
    assert r["test_texts"] == ["test 100", "test 101", "test 102"]
    assert r["streamed"] == r["test_texts"]


@pytest.mark.parametrize("hf", ["xet", "noxet-lfs"], indirect=True)
def test_push_to_hub_round_trip(hf):
    """push_to_hub needs an "lfs" preupload answer (protocol section 12); the shards then go through
    Xet with the default client, through the LFS batch API with HF_HUB_DISABLE_XET=1."""
    r = hf.run("datasets_hub:push_to_hub", repo_id=hf.repo_id("pushed")).result
    assert r["rows"] == r["expected"]
    assert r["streamed"] == r["expected"]["text"]
    assert any(f.endswith(".parquet") for f in r["files"])
    assert r["parquet_lfs"] and all(p.endswith(".parquet") for p in r["parquet_lfs"])
    batch = any("/info/lfs/objects/batch" in q for q in r["push_requests"])
    # hf_xet's own requests (token, CAS) do not pass through the recorded session: the tree tells.
    assert batch is not hf.xet
    assert r["parquet_xet"] == (r["parquet_lfs"] if hf.xet else [])
