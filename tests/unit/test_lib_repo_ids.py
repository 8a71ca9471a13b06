import pytest

from kohakuhub.errors import BadRequestError, InvalidRepoIdError
from kohakuhub.lib.repo_ids import NAME_RE, split_repo_id, validate_name


@pytest.mark.parametrize(
    "name",
    ["a", "A", "_", "gpt2", "bert-base-uncased", "my.model_v1", "x" * 96, "_hidden_", "a-b.c_d", "9", "a.b"],
)
def test_valid_names(name):
    assert validate_name(name) == name
    assert NAME_RE.fullmatch(name)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("x" * 97, "longer than 96"),
        ("a b", "only letters"),
        ("a/b", "only letters"),
        ("é", "only letters"),
        ("a\n", "only letters"),
        ("a--b", "'--'"),
        ("a..b", "'..'"),
        ("model.git", ".git"),
        ("model.GIT", ".git"),
        ("-a", "start and end"),
        ("a-", "start and end"),
        (".a", "start and end"),
        ("a.", "start and end"),
        (".", "start and end"),
        ("..", "'..'"),
        ("-", "start and end"),
    ],
)
def test_invalid_names(name, fragment):
    with pytest.raises(InvalidRepoIdError) as exc:
        validate_name(name, "namespace")
    assert "namespace" in exc.value.message
    assert fragment in exc.value.message
    assert not NAME_RE.fullmatch(name) or fragment in ("'--'", "'..'", ".git")


def test_invalid_repo_id_is_bad_request():
    assert issubclass(InvalidRepoIdError, BadRequestError)


def test_non_str_rejected():
    with pytest.raises(InvalidRepoIdError):
        validate_name(None)  # type: ignore[arg-type]


def test_split_repo_id():
    assert split_repo_id("alice/m1") == ("alice", "m1")


@pytest.mark.parametrize("repo_id", ["gpt2", "a/b/c", "/b", "a/", "", "a//b", "a/b.git", "a--x/b", "a/-b"])
def test_split_repo_id_invalid(repo_id):
    with pytest.raises(InvalidRepoIdError):
        split_repo_id(repo_id)


def test_split_repo_id_names_the_part():
    with pytest.raises(InvalidRepoIdError, match="namespace"):
        split_repo_id("a..b/c")
    with pytest.raises(InvalidRepoIdError, match="repo name"):
        split_repo_id("ab/c..d")
