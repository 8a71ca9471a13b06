"""kohakuhub/lib/unified_diff.py: hunk extraction, line-boundary cuts, compare specs."""

from __future__ import annotations

import pytest

from kohakuhub.lib.unified_diff import cut_patch, hunks_only, split_compare_spec


def test_hunks_only_drops_the_header_lines():
    patch = "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    assert hunks_only(patch) == "@@ -1 +1 @@\n-a\n+b\n"
    assert hunks_only("@@ -1 +1 @@\n-a\n") == "@@ -1 +1 @@\n-a\n"
    assert hunks_only("diff --git a/x b/x\nold mode 100644\nnew mode 100755\n") == ""


def test_cut_patch_keeps_whole_lines_within_the_byte_budget():
    patch = "@@ -1,3 +1,3 @@\n+é\n+two\n"
    assert cut_patch(patch, 1000) == (patch, False)
    cut, was_cut = cut_patch(patch, len("@@ -1,3 +1,3 @@\n+é\n".encode()) + 2)
    assert (cut, was_cut) == ("@@ -1,3 +1,3 @@\n+é\n", True)
    assert cut_patch(patch, 3) == ("", True)
    assert cut_patch(patch, 0) == ("", True)
    # A cut inside a multi-byte character never leaves half of it.
    assert cut_patch("+éé\n", 3) == ("", True)


@pytest.mark.parametrize(("spec", "expected"), [
    ("main...dev", ("main", "dev")),
    ("feature/x...v1.0", ("feature/x", "v1.0")),
    ("a....b", ("a", ".b")),
    ("main..dev", None), ("main", None), ("...dev", None), ("main...", None), ("", None),
])
def test_split_compare_spec(spec, expected):
    assert split_compare_spec(spec) == expected
