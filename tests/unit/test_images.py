"""Image rules: real types from magic bytes, keys confined to the vendor's own prefix (pure)."""

from __future__ import annotations

import pytest

from chalicelib.domain.images import is_media_key, owns_key, sniff_image_type, upload_key


@pytest.mark.parametrize("head, kind", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'>", None),
    (b"GIF89a\x01\x00", None),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
    (b"", None),
])
def test_the_first_bytes_tell_the_real_type(head, kind):
    assert sniff_image_type(head) == kind


def test_uploads_land_under_the_vendors_own_prefix():
    key = upload_key("ven-a", "image/webp", "0f" * 16)
    assert key == f"vendors/ven-a/{'0f' * 16}.webp"
    assert owns_key("ven-a", key) and not owns_key("ven-b", key)
    assert not owns_key("ven", key)  # a prefix of another vendor's id is not that vendor


@pytest.mark.parametrize("key", ["vendors/a/../b/x.png", "vendors/a/b/x.png", "vendors/a/x.gif", "other/a/x.png",
                                 "vendors//x.png", "vendors/a/.png", "/vendors/a/x.png"])
def test_keys_that_are_not_one_stored_image_are_refused(key):
    assert not is_media_key(key)
