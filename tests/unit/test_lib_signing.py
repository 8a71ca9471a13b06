import pytest

from kohakuhub.lib.signing import UrlSigner

NOW = 1_700_000_000
PATH = "/api/lfs/alice/m1/objects/abc"
PURPOSE = "lfs-download"


@pytest.fixture
def signer():
    return UrlSigner("s3cret")


def test_sign_shape(signer):
    q = signer.sign(PATH, purpose=PURPOSE, expires_at=NOW + 60, oid="abc", size="12")
    assert q["expires"] == str(NOW + 60)
    assert len(q["sig"]) == 64 and q["sig"] == q["sig"].lower()
    assert q["oid"] == "abc" and q["size"] == "12"
    assert set(q) == {"expires", "sig", "oid", "size"}


def test_round_trip(signer):
    q = signer.sign(PATH, purpose=PURPOSE, expires_at=NOW + 60, oid="abc", size="12")
    assert signer.verify(PATH, q, purpose=PURPOSE, now=NOW)
    assert signer.verify(PATH, dict(reversed(list(q.items()))), purpose=PURPOSE, now=NOW)  # order does not matter


def test_no_params(signer):
    q = signer.sign(PATH, purpose=PURPOSE, expires_at=NOW + 1)
    assert signer.verify(PATH, q, purpose=PURPOSE, now=NOW)


def test_default_now(signer):
    import time

    assert signer.verify(PATH, signer.sign(PATH, purpose=PURPOSE, expires_at=int(time.time()) + 60), purpose=PURPOSE)
    assert not signer.verify(PATH, signer.sign(PATH, purpose=PURPOSE, expires_at=int(time.time()) - 1),
                             purpose=PURPOSE)


def test_expired(signer):
    q = signer.sign(PATH, purpose=PURPOSE, expires_at=NOW)
    assert signer.verify(PATH, q, purpose=PURPOSE, now=NOW - 0.5)
    assert not signer.verify(PATH, q, purpose=PURPOSE, now=NOW)
    assert not signer.verify(PATH, q, purpose=PURPOSE, now=NOW + 100)


def test_tampering(signer):
    q = signer.sign(PATH, purpose=PURPOSE, expires_at=NOW + 60, oid="abc", size="12")
    assert not signer.verify(PATH + "x", q, purpose=PURPOSE, now=NOW)
    assert not signer.verify("/api/lfs/bob/m1/objects/abc", q, purpose=PURPOSE, now=NOW)
    assert not signer.verify(PATH, {**q, "oid": "abd"}, purpose=PURPOSE, now=NOW)
    assert not signer.verify(PATH, {**q, "size": "13"}, purpose=PURPOSE, now=NOW)
    assert not signer.verify(PATH, {**q, "expires": str(NOW + 6000)}, purpose=PURPOSE, now=NOW)
    assert not signer.verify(PATH, {**q, "extra": "1"}, purpose=PURPOSE, now=NOW)
    assert not signer.verify(PATH, {**q, "extra": ""}, purpose=PURPOSE, now=NOW)
    missing = dict(q)
    del missing["size"]
    assert not signer.verify(PATH, missing, purpose=PURPOSE, now=NOW)
    for key in ("sig", "expires"):
        partial = dict(q)
        del partial[key]
        assert not signer.verify(PATH, partial, purpose=PURPOSE, now=NOW)
    assert not signer.verify(PATH, {**q, "sig": q["sig"].upper()}, purpose=PURPOSE, now=NOW)
    assert not signer.verify(PATH, {**q, "sig": "0" * 64}, purpose=PURPOSE, now=NOW)
    assert not signer.verify(PATH, {**q, "expires": " " + q["expires"]}, purpose=PURPOSE, now=NOW)


def test_ambiguous_encodings_do_not_collide(signer):
    a = signer.sign("/p", purpose=PURPOSE, expires_at=NOW + 60, a="1", b="2")
    b = signer.sign("/p", purpose=PURPOSE, expires_at=NOW + 60, a="1&b=2")
    assert a["sig"] != b["sig"]
    assert not signer.verify("/p", {**b, "b": "2", "a": "1"}, purpose=PURPOSE, now=NOW)


def test_other_secret_rejected(signer):
    q = signer.sign(PATH, purpose=PURPOSE, expires_at=NOW + 60)
    assert not UrlSigner("other").verify(PATH, q, purpose=PURPOSE, now=NOW)


def test_reserved_and_invalid(signer):
    with pytest.raises(ValueError):
        signer.sign(PATH, purpose=PURPOSE, expires_at=NOW, sig="x")
    with pytest.raises(ValueError):
        signer.sign(PATH, purpose=PURPOSE, expires_at=NOW, **{"expires": "1"})
    with pytest.raises(ValueError):
        signer.sign(PATH, purpose=PURPOSE, expires_at=NOW, size=12)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        UrlSigner("")


class MultiDict(dict):
    """Stands in for Starlette's QueryParams: a mapping that also knows repeated keys."""

    def __init__(self, items):
        super().__init__(items)
        self._items = items

    def getlist(self, key):
        return [v for k, v in self._items if k == key]


def test_repeated_key_refused(signer):
    q = signer.sign(PATH, purpose=PURPOSE, expires_at=NOW + 60, oid="abc")
    assert signer.verify(PATH, MultiDict(list(q.items())), purpose=PURPOSE, now=NOW)
    assert not signer.verify(PATH, MultiDict([*q.items(), ("oid", "abc")]), purpose=PURPOSE, now=NOW)


def test_a_signature_is_bound_to_its_purpose(signer):
    """The same path and parameters, signed for an upload, never verify for a download (or anything else)."""
    q = signer.sign(PATH, purpose="lfs-upload", expires_at=NOW + 60, size="12", uid="7")
    assert signer.verify(PATH, q, purpose="lfs-upload", now=NOW)
    for other in ("lfs-download", "lfs-verify", "lfs-part", "lfs-complete", "xet-xorb-range", "", "lfs-upload "):
        assert not signer.verify(PATH, q, purpose=other, now=NOW)
