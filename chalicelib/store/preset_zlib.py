"""zlib against a preset dictionary (RFC 1950 FDICT), as the stored orders and idempotent responses use it.

A stream packed with a dictionary names it in its header (the dictionary's Adler-32), so a reader given
every dictionary ever released finds the one a stream needs; a stream packed with none reads as plain
zlib. Dictionaries are frozen once released: never edit one, add another.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

LEVEL = 9


def pack(data: bytes, dictionary: bytes) -> bytes:
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, dictionary)
    return packer.compress(data) + packer.flush()


def unpack(blob: bytes, dictionaries: Iterable[bytes], *, what: str) -> bytes:
    """`blob` packed with one of `dictionaries`, or with none; ValueError naming `what` if it names another."""
    if not (len(blob) >= 6 and blob[1] & 0x20):  # no FDICT flag: packed without a dictionary
        return zlib.decompress(blob)
    named = int.from_bytes(blob[2:6], "big")
    dictionary = next((d for d in dictionaries if zlib.adler32(d) == named), None)
    if dictionary is None:
        raise ValueError(f"{what} names an unknown dictionary")
    unpacker = zlib.decompressobj(zlib.MAX_WBITS, zdict=dictionary)
    return unpacker.decompress(blob) + unpacker.flush()
