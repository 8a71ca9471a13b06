"""Recognising avatar images from their bytes (kohakuhub/lib/images.py)."""

from __future__ import annotations

import pytest

from kohakuhub.lib.images import ImageInfo, recognise_image
from tests.image_bytes import HTML, SVG, gif, jpeg_header, png, webp


def test_each_raster_type_and_its_size_is_read() -> None:
    assert recognise_image(png(5, 3)) == ImageInfo("image/png", 5, 3)
    assert recognise_image(jpeg_header(3, 2)) == ImageInfo("image/jpeg", 3, 2)
    assert recognise_image(gif(4, 5)) == ImageInfo("image/gif", 4, 5)
    assert recognise_image(webp(6, 7)) == ImageInfo("image/webp", 6, 7)


@pytest.mark.parametrize("data", [
    SVG, HTML, b"", b"\x89PNG\r\n\x1a\n", png()[:20], b"GIF89a", b"RIFF\x00\x00\x00\x00WEBPVP8Z" + b"\x00" * 20,
    b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x01", png(0, 3), b"%PDF-1.4", b"\x00" * 64,
])
def test_anything_else_is_not_an_image(data: bytes) -> None:
    assert recognise_image(data) is None
