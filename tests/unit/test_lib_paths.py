import pytest

from kohakuhub.errors import BadRequestError, InvalidPathError
from kohakuhub.lib.paths import normalize_folder_path, normalize_repo_path


@pytest.mark.parametrize(
    "path",
    [
        "a.txt",
        "README.md",
        ".gitattributes",
        ".github/workflows/x.yml",
        "sub/dir/model.bin",
        "a b/c d.txt",
        "subfolder/to?/awful?filename%you:should,never.give",
        "日本語/ファイル.txt",
        "emoji😀.bin",
        "...",
        ".hidden",
        "a..b",
        "x.git",
        ".gitx",
        "a" * 255,
        "/".join(["a" * 200] * 5),  # 1004 bytes
        # A backslash is an ordinary character of a name for git and the Hub.
        "a\\b",
        "dir/win\\style.txt",
        "a\\.b",
        "...\\x",
        "a..\\b",
        "x:y.txt",
    ],
)
def test_valid_paths(path):
    assert normalize_repo_path(path) == path


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "empty"),
        ("/x", "relative"),
        ("/", "relative"),
        ("..\\ddd", "'..'"),  # the Hub's own example: 422
        ("a\\..\\..\\b", "'..'"),
        ("sub/..\\x", "'..'"),
        ("a\\..", "'..'"),
        ("x\\.git\\hooks", ".git"),
        ("x\\.GIT", ".git"),
        ("\\", "relative"),
        ("\\x", "relative"),
        ("\\\\host\\share", "relative"),
        ("C:\\Windows\\x", "relative"),
        ("c:/x", "relative"),
        ("C:", "relative"),
        ("..", "'..'"),
        ("../x", "'..'"),
        ("a/../b", "'..'"),
        ("a/..", "'..'"),
        (".", "'.'"),
        ("./a", "'.'"),
        ("a/./b", "'.'"),
        ("a//b", "empty segment"),
        ("a/", "end with"),
        ("a/b/", "end with"),
        ("a\x00b", "control"),
        ("a\nb", "control"),
        ("a\rb", "control"),
        ("a\tb", "control"),
        ("a\x1fb", "control"),
        ("a\x7fb", "control"),
        (".git", ".git"),
        (".git/config", ".git"),
        ("a/.GIT/hooks/x", ".git"),
        ("a/.Git", ".git"),
        ("a" * 256, "255 bytes"),
        ("é" * 128, "255 bytes"),  # 256 bytes in UTF-8
        ("/".join(["a" * 200] * 6), "1024 bytes"),
        ("a\udc80b", "UTF-8"),
        ("\ud800", "UTF-8"),
    ],
)
def test_hostile_paths(path, reason):
    with pytest.raises(InvalidPathError) as exc:
        normalize_repo_path(path)
    assert reason in exc.value.message
    assert repr(path)[:50] in exc.value.message or repr(path)[:20] in exc.value.message


def test_invalid_path_is_not_a_400():
    # The Hub answers 422 for bad paths; the error table maps InvalidPathError separately.
    assert not issubclass(InvalidPathError, BadRequestError)


def test_non_string():
    with pytest.raises(InvalidPathError):
        normalize_repo_path(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "expected"), [("dir/", "dir"), ("a/b/", "a/b"), ("dir", "dir"), ("a/b", "a/b"), ("a\\b/", "a\\b")]
)
def test_folder_paths(path, expected):
    assert normalize_folder_path(path) == expected


@pytest.mark.parametrize("path", ["", "/", "//", "dir//", "/dir/", "../", "a/../", ".git/", "..\\b/", "./"])
def test_bad_folder_paths(path):
    with pytest.raises(InvalidPathError):
        normalize_folder_path(path)
