from __future__ import annotations

import pytest

from ember.config.byte_sizes import parse_base2_bytes
from ember.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("512B", 512),
        ("1KB", 1024),
        ("1KiB", 1024),
        ("10MB", 10 * 1024**2),
        ("10MiB", 10 * 1024**2),
        ("1.5GB", 3 * 1024**3 // 2),
        ("1GB512MB", 1024**3 + 512 * 1024**2),
        ("2TiB", 2 * 1024**4),
    ],
)
def test_parse(text: str, expected: int) -> None:
    assert parse_base2_bytes(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "units: invalid"),
        ("100", "unknown unit  in 100"),
        ("1kB", "unknown unit kB"),
        ("MB", "invalid MB"),
        ("1KiB1KB", "unknown unit"),
        ("10XB", "unknown unit XB"),
    ],
)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_base2_bytes(text)
