"""Tests for ember/exposition/body_decoding.py."""

from __future__ import annotations

import gzip

import pytest

from ember.exposition.body_decoding import decode_utf8, decompress_body
from ember.exposition.parse_error import ParseError


def test_gzip_by_header_or_magic_and_identity() -> None:
    packed = gzip.compress(b"a 1\n")
    assert decompress_body(packed, "gzip") == b"a 1\n"
    assert decompress_body(packed) == b"a 1\n"
    assert decompress_body(b"a 1\n", "identity") == b"a 1\n"


def test_gzip_bomb_truncated_and_garbage_are_errors() -> None:
    with pytest.raises(ParseError, match="body size limit exceeded"):
        decompress_body(gzip.compress(b"x" * 10_000), "gzip", limit=1000)
    with pytest.raises(ParseError, match=r"^body size limit exceeded$"):  # reaching the limit fails, as Prometheus
        decompress_body(gzip.compress(b"x" * 1000), "gzip", limit=1000)
    assert decompress_body(gzip.compress(b"x" * 999), "gzip", limit=1000) == b"x" * 999
    with pytest.raises(ParseError, match="truncated"):
        decompress_body(gzip.compress(b"a 1\n" * 100)[:-12], "gzip")
    with pytest.raises(ParseError, match="invalid gzip"):
        decompress_body(b"\x1f\x8bnot gzip at all", "gzip")
    with pytest.raises(ParseError, match="Content-Encoding"):
        decompress_body(b"a", "br")


def test_invalid_utf8_names_the_line() -> None:
    assert decode_utf8("é".encode()) == "é"
    with pytest.raises(ParseError) as caught:
        decode_utf8(b"ok\nok\n\xc3(\n")
    assert caught.value.line == 3
