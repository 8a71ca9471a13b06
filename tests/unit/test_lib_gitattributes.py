import shutil
import subprocess

import pytest

from kohakuhub.errors import InvalidPathError
from kohakuhub.lib.gitattributes import (
    DEFAULT_GITATTRIBUTES,
    LFS_ATTRIBUTES,
    is_lfs_tracked,
    lfs_patterns,
    with_lfs_path,
)


def test_default_file_shape():
    lines = DEFAULT_GITATTRIBUTES.splitlines()
    assert DEFAULT_GITATTRIBUTES.endswith("\n")
    assert len(lines) == 35
    assert lines[0] == "*.7z filter=lfs diff=lfs merge=lfs -text"
    assert lines[-1] == "*tfevents* filter=lfs diff=lfs merge=lfs -text"
    assert "saved_model/**/* filter=lfs diff=lfs merge=lfs -text" in lines
    assert all(line.endswith(" " + LFS_ATTRIBUTES) for line in lines)
    assert lfs_patterns(DEFAULT_GITATTRIBUTES)[:3] == ["*.7z", "*.arrow", "*.bin"]
    assert len(lfs_patterns(DEFAULT_GITATTRIBUTES)) == 35


@pytest.mark.parametrize(
    ("path", "tracked"),
    [
        ("model.bin", True),
        ("deep/dir/model.safetensors", True),
        ("a.tar.gz", True),
        ("x.tar", True),
        ("w.lfs.anything", True),
        ("runs/events.out.tfevents.123.host", True),
        ("saved_model/variables/variables.data-00000-of-00001", True),
        ("saved_model/saved_model.pb", True),
        ("saved_model/x.txt", True),
        ("sub/saved_model/x.txt", False),
        ("README.md", False),
        ("config.json", False),
        (".gitattributes", False),
        ("model.bin.txt", False),
        ("binfile", False),
        ("MODEL.BIN", False),  # case-sensitive, as git with core.ignorecase=false
    ],
)
def test_default_tracking(path, tracked):
    assert is_lfs_tracked(path, DEFAULT_GITATTRIBUTES) is tracked


def test_pattern_semantics():
    text = (
        "# comment\n"
        "\n"
        "*.dat filter=lfs\n"
        "/top.txt filter=lfs\n"
        "docs/*.pdf filter=lfs\n"
        "**/weights/** filter=lfs\n"
        "a/**/b.bin filter=lfs\n"
        "data/?.csv filter=lfs\n"
        "img/[a-c]*.png filter=lfs\n"
        "img/[!a-c]*.jpg filter=lfs\n"
        "keep.dat -filter\n"
        "unspec.dat !filter\n"
        "other.dat filter=other\n"
        "dir/ filter=lfs\n"
        "!neg.txt filter=lfs\n"
        "[attr]binary -diff -merge -text\n"
        "x/a**b filter=lfs\n"
    )
    cases = {
        "a.dat": True,
        "x/y/a.dat": True,
        "keep.dat": False,
        "sub/keep.dat": False,
        "unspec.dat": False,
        "other.dat": False,
        "top.txt": True,
        "sub/top.txt": False,
        "docs/a.pdf": True,
        "docs/sub/a.pdf": False,
        "x/docs/a.pdf": False,
        "weights/w": True,
        "m/weights/w/x": True,
        "m/weights": False,
        "a/b.bin": True,
        "a/x/y/b.bin": True,
        "ab.bin": False,
        "data/1.csv": True,
        "data/12.csv": False,
        "data//.csv": False,
        "img/apple.png": True,
        "img/dog.png": False,
        "img/dog.jpg": True,
        "img/apple.jpg": False,
        "dir/file": False,
        "neg.txt": False,
        "x/aZZb": True,
        "x/a/b": False,  # a non-segment ** acts like *
    }
    for path, tracked in cases.items():
        assert is_lfs_tracked(path, text) is tracked, path


def test_later_lines_override():
    assert is_lfs_tracked("a.bin", "*.bin filter=lfs\na.bin -filter\n") is False
    assert is_lfs_tracked("a.bin", "a.bin -filter\n*.bin filter=lfs\n") is True
    assert is_lfs_tracked("a.bin", "*.bin filter=lfs\n*.txt -filter\n") is True
    # A later line about other attributes does not touch filter.
    assert is_lfs_tracked("a.bin", "*.bin filter=lfs\na.bin -diff\n") is True
    # Several tokens on one line: the last one wins.
    assert is_lfs_tracked("a.bin", "a.bin filter=lfs -filter\n") is False


def test_crlf_and_whitespace():
    assert is_lfs_tracked("a.bin", "  *.bin\tfilter=lfs\r\n")
    assert lfs_patterns("*.bin filter=lfs\r\n*.txt text\r\n") == ["*.bin"]


def test_quoted_pattern():
    assert is_lfs_tracked("my file.bin", '"my file.bin" filter=lfs\n')
    assert is_lfs_tracked("tabx", '"tab\\\\x" filter=lfs\n')  # unquotes to tab\x, which escapes x
    assert is_lfs_tracked("oct\x41l", '"oct\\101l" filter=lfs\n')
    assert not is_lfs_tracked("x.bin", '"unterminated filter=lfs\n')


def test_space_class_and_escapes():
    assert is_lfs_tracked("big file.bin", "/big[[:space:]]file.bin filter=lfs\n")
    assert is_lfs_tracked("a*b", "a\\*b filter=lfs\n")
    assert not is_lfs_tracked("axb", "a\\*b filter=lfs\n")
    assert is_lfs_tracked("a[b", "a[b filter=lfs\n")  # unterminated bracket is literal
    assert not is_lfs_tracked("a", "a\\ filter=lfs\n")  # trailing backslash: invalid pattern


def test_lfs_patterns_only_lfs():
    text = "*.bin filter=lfs diff=lfs\n*.txt filter=other\n*.x -filter\n# *.c filter=lfs\n/a\\ b filter=lfs\n"
    assert lfs_patterns(text) == ["*.bin", "/a\\"]
    assert lfs_patterns("") == []


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("big file.bin", "/big[[:space:]]file.bin"),
        ("top.bin", "/top.bin"),
        ("sub/dir/x y.bin", "sub/dir/x[[:space:]]y.bin"),
        ("weird[1]*?.bin", "/weird\\[1]\\*\\?.bin"),
        ("#hash.txt", "/\\#hash.txt"),
        ("!bang.txt", "/\\!bang.txt"),
    ],
)
def test_with_lfs_path(path, line):
    text = with_lfs_path("*.txt text\n", path)
    assert text == f"*.txt text\n{line} {LFS_ATTRIBUTES}\n"
    assert is_lfs_tracked(path, text)


def test_with_lfs_path_exactness():
    text = with_lfs_path("", "top.dat")
    assert is_lfs_tracked("top.dat", text)
    assert not is_lfs_tracked("sub/top.dat", text)
    text = with_lfs_path(text, "a/b.dat")
    assert is_lfs_tracked("a/b.dat", text)
    assert not is_lfs_tracked("x/a/b.dat", text)
    assert not is_lfs_tracked("a/b.datx", text)


def test_with_lfs_path_adds_newline_and_is_idempotent():
    assert with_lfs_path("*.txt text", "a.dat") == f"*.txt text\n/a.dat {LFS_ATTRIBUTES}\n"
    assert with_lfs_path(DEFAULT_GITATTRIBUTES, "m.bin") == DEFAULT_GITATTRIBUTES
    once = with_lfs_path("", "x.dat")
    assert with_lfs_path(once, "x.dat") == once


def test_with_lfs_path_validates():
    with pytest.raises(InvalidPathError):
        with_lfs_path("", "../x")


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_matches_git_check_attr(tmp_path):
    text = DEFAULT_GITATTRIBUTES + (
        "/top.txt filter=lfs\n"
        "docs/*.pdf filter=lfs\n"
        "**/weights/** filter=lfs\n"
        "a/**/b.bin filter=lfs\n"
        "img/[!a-c]*.jpg filter=lfs\n"
        "x/a**b filter=lfs\n"
        "keep.bin -filter\n"
        "un.bin !filter\n"
        "/sp[[:space:]]ace.txt filter=lfs\n"
        "dir/ filter=lfs\n"
        '"q file.bin" filter=lfs\n'
    )
    paths = [
        "model.bin", "d/model.bin", "keep.bin", "d/keep.bin", "un.bin", "top.txt", "s/top.txt",
        "docs/a.pdf", "docs/s/a.pdf", "weights/w", "m/weights/w/x", "a/b.bin", "a/x/y/b.bin",
        "img/dog.jpg", "img/apple.jpg", "x/aZZb", "x/a/b", "saved_model/x", "s/saved_model/x",
        "sp ace.txt", "runs/ev.tfevents.1", "dir/file", "a.tar.gz", "README.md", "q file.bin",
    ]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitattributes").write_text(text)
    out = subprocess.run(
        ["git", "-c", "core.ignorecase=false", "check-attr", "filter", "--", *paths],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    git_says = {line.rsplit(": filter: ", 1)[0]: line.rsplit(": ", 1)[1] == "lfs" for line in out}
    for path in paths:
        assert is_lfs_tracked(path, text) is git_says[path], path
