"""Turn a response body into text: gunzip (bounded) and strict UTF-8 decoding with a line number."""

from __future__ import annotations

import zlib

from ember.errors import BODY_SIZE_LIMIT_EXCEEDED
from ember.exposition.parse_error import ParseError

GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_MAX_DECOMPRESSED = 1 << 30


def decompress_body(
    body: bytes, content_encoding: str | None = None, *, limit: int = DEFAULT_MAX_DECOMPRESSED
) -> bytes:
    """The plain body: gunzipped when `content_encoding` says gzip or the bytes carry gzip's magic.

    The output is capped at `limit` bytes (a gzip bomb is an error, not an out-of-memory crash), as
    Prometheus's `body_size_limit` caps the uncompressed body.
    """
    encoding = (content_encoding or "").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip"):
        raise ParseError(f"unsupported Content-Encoding {content_encoding!r}")
    if encoding in ("", "identity") and not body.startswith(GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        plain = inflater.decompress(body, limit)
    except zlib.error as exc:
        raise ParseError(f"invalid gzip body: {exc}") from None
    if len(plain) >= limit:  # as Prometheus: a body reaching the limit fails
        raise ParseError(BODY_SIZE_LIMIT_EXCEEDED)
    if not inflater.eof:
        raise ParseError("invalid gzip body: truncated stream")
    return plain


def decode_utf8(body: bytes | str) -> str:
    """The body as text; invalid UTF-8 is a `ParseError` naming its line."""
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise ParseError("invalid UTF-8", line) from None
