import pytest

from kohakuhub.errors import RangeNotSatisfiableError
from kohakuhub.lib.http_range import parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-0", 10, (0, 1)),
        ("bytes=0-9", 10, (0, 10)),
        ("bytes=2-5", 10, (2, 6)),
        ("bytes=2-100", 10, (2, 10)),
        ("bytes=9-", 10, (9, 10)),
        ("bytes=0-", 10, (0, 10)),
        ("bytes=-3", 10, (7, 10)),
        ("bytes=-10", 10, (0, 10)),
        ("bytes=-100", 10, (0, 10)),
        ("Bytes=1-2", 10, (1, 3)),
        ("  bytes = 1 - 2 ", 10, (1, 3)),
        ("bytes=1-2,", 10, (1, 3)),
    ],
)
def test_single_ranges(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    "header", [None, "", "   ", "items=0-1", "bytes=0-1,3-4", "bytes=0-1, -2", "0-1", "none"]
)
def test_whole_file(header):
    assert parse_range(header, 10) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=10-", 10),
        ("bytes=10-20", 10),
        ("bytes=0-", 0),
        ("bytes=-5", 0),
        ("bytes=-0", 10),
        ("bytes=5-2", 10),
        ("bytes=", 10),
        ("bytes=-", 10),
        ("bytes=a-b", 10),
        ("bytes=1-2-3", 10),
        ("bytes=0x1-2", 10),
        ("bytes=+1-2", 10),
        ("bytes=1.5-2", 10),
    ],
)
def test_unsatisfiable(header, size):
    with pytest.raises(RangeNotSatisfiableError) as exc:
        parse_range(header, size)
    assert exc.value.size == size
    assert header in exc.value.message
