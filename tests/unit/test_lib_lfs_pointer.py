import dataclasses

import pytest

from kohakuhub.lib.lfs_pointer import MAX_POINTER_SIZE, POINTER_SIZES, LfsPointer, make_pointer, parse_pointer

OID = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"


def test_make_pointer_exact_bytes():
    assert make_pointer(OID, 12345) == (
        b"version https://git-lfs.github.com/spec/v1\n"
        b"oid sha256:" + OID.encode() + b"\n"
        b"size 12345\n"
    )
    assert len(make_pointer(OID, 0)) == 126  # 43 + 76 + len("size 0\n")


@pytest.mark.parametrize("oid", ["", "A" * 64, "a" * 63, "z" * 64])
def test_make_pointer_rejects_bad_oid(oid):
    with pytest.raises(ValueError):
        make_pointer(oid, 1)


def test_make_pointer_rejects_negative_size():
    with pytest.raises(ValueError):
        make_pointer(OID, -1)


@pytest.mark.parametrize("size", [0, 1, 10**12])
def test_round_trip(size):
    assert parse_pointer(make_pointer(OID, size)) == LfsPointer(OID, size)


def test_pointer_is_frozen():
    p = LfsPointer(OID, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.size = 2  # type: ignore[misc]


def test_legacy_version_and_missing_final_newline():
    legacy = b"version https://hawser.github.com/spec/v1\noid sha256:%s\nsize 7\n" % OID.encode()
    assert parse_pointer(legacy) == LfsPointer(OID, 7)
    assert parse_pointer(make_pointer(OID, 7)[:-1]) == LfsPointer(OID, 7)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world",
        b"version https://example.com/spec/v1\noid sha256:%s\nsize 7\n" % OID.encode(),
        b"oid sha256:%s\nversion https://git-lfs.github.com/spec/v1\nsize 7\n" % OID.encode(),
        b"version https://git-lfs.github.com/spec/v1\nsize 7\noid sha256:%s\n" % OID.encode(),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\n" % OID.encode(),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 7\n" % OID.upper().encode(),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 7\n" % OID[:-1].encode(),
        b"version https://git-lfs.github.com/spec/v1\noid sha512:%s\nsize 7\n" % OID.encode(),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize -7\n" % OID.encode(),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 7x\n" % OID.encode(),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize \n" % OID.encode(),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 07\n" % OID.encode(),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 7\nfoo bar\n" % OID.encode(),
        b"version https://git-lfs.github.com/spec/v1\next-0-foo sha256:%s\noid sha256:%s\nsize 7\n"
        % (OID.encode(), OID.encode()),
        b"version https://git-lfs.github.com/spec/v1\r\noid sha256:%s\r\nsize 7\r\n" % OID.encode(),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 7\n\n" % OID.encode(),
        make_pointer(OID, 7) + b" " * MAX_POINTER_SIZE,
    ],
)
def test_not_a_pointer(data):
    assert parse_pointer(data) is None


def test_size_limit():
    assert MAX_POINTER_SIZE == 1024
    assert parse_pointer(b"x" * 5000) is None


def test_pointer_sizes_cover_every_parsable_pointer() -> None:
    oid = "b" * 64
    for size in (0, 9, 10**19, 10**20 - 1):
        for text in (make_pointer(oid, size), make_pointer(oid, size)[:-1]):
            assert parse_pointer(text) is not None
            assert len(text) in POINTER_SIZES
    legacy = make_pointer(oid, 0).replace(b"git-lfs.github.com", b"hawser.github.com")[:-1]
    assert parse_pointer(legacy) is not None and len(legacy) == POINTER_SIZES.start


def test_sizes_beyond_64_bits_are_not_pointers() -> None:
    assert parse_pointer(make_pointer("c" * 64, 10**20)) is None
