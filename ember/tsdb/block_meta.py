"""A block's `meta.json`: identity, time range, statistics, compaction lineage and file checks.

The field names follow Prometheus's `meta.json` (`ulid`, `minTime`, `maxTime` exclusive, `stats`,
`compaction.level/sources/parents`), plus a `files` table with each data file's size and crc32c so a
truncated or damaged block is detected when it is opened.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ember.errors import CorruptionError

META_FILE = "meta.json"
INDEX_FILE = "index"
CHUNKS_FILE = "chunks"
TOMBSTONES_FILE = "tombstones"
FORMAT_VERSION = 1

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(now_ms: int | None = None) -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, in Crockford base32 (26 characters), so
    block directories sort by creation time as Prometheus's do."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms & ((1 << 48) - 1)) << 80 | secrets.randbits(80)
    chars = [_CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1)]
    return "".join(chars)


def is_ulid(name: str) -> bool:
    return len(name) == 26 and all(c in _CROCKFORD for c in name) and name[0] in "01234567"


@dataclass(frozen=True)
class BlockStats:
    num_samples: int = 0
    num_series: int = 0
    num_groups: int = 0
    num_tombstones: int = 0


@dataclass(frozen=True)
class FileCheck:
    """Expected size and crc32c of one data file (crc 0 = not checked at open: the chunks file carries
    one crc per group instead)."""

    size: int
    crc32c: int = 0


@dataclass(frozen=True)
class BlockMeta:
    ulid: str
    min_time: int
    max_time: int
    stats: BlockStats = field(default_factory=BlockStats)
    level: int = 1
    sources: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    files: dict[str, FileCheck] = field(default_factory=dict, compare=False)
    size_bytes: int = field(default=0, compare=False)
    """Bytes on disk of the whole block directory; measured when opened, not stored."""

    def to_json(self) -> dict[str, Any]:
        return {
            "ulid": self.ulid,
            "minTime": self.min_time,
            "maxTime": self.max_time,
            "stats": {
                "numSamples": self.stats.num_samples,
                "numSeries": self.stats.num_series,
                "numGroups": self.stats.num_groups,
            },
            "compaction": {
                "level": self.level,
                "sources": list(self.sources),
                "parents": [{"ulid": p} for p in self.parents],
            },
            "version": FORMAT_VERSION,
            "files": {name: {"size": c.size, "crc32c": c.crc32c} for name, c in sorted(self.files.items())},
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> BlockMeta:
        """Parses a decoded meta.json; anything missing or mistyped is a CorruptionError naming `where`."""
        try:
            if data["version"] != FORMAT_VERSION:
                raise CorruptionError(f"unsupported block format version {data['version']!r}", where)
            stats, compaction = data["stats"], data["compaction"]
            meta = cls(
                ulid=str(data["ulid"]),
                min_time=_as_int(data["minTime"]),
                max_time=_as_int(data["maxTime"]),
                stats=BlockStats(
                    num_samples=_as_int(stats["numSamples"]),
                    num_series=_as_int(stats["numSeries"]),
                    num_groups=_as_int(stats["numGroups"]),
                ),
                level=_as_int(compaction["level"]),
                sources=tuple(str(s) for s in compaction["sources"]),
                parents=tuple(str(p["ulid"]) for p in compaction["parents"]),
                files={
                    str(name): FileCheck(_as_int(c["size"]), _as_int(c["crc32c"]))
                    for name, c in data["files"].items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CorruptionError(f"bad meta.json: {exc!r}", where) from exc
        if meta.max_time < meta.min_time:
            raise CorruptionError("bad meta.json: maxTime before minTime", where)
        return meta


def _as_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def read_meta(block_dir: Path) -> BlockMeta:
    path = block_dir / META_FILE
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CorruptionError(f"cannot read meta.json: {exc}", str(path)) from exc
    return BlockMeta.from_json(data, str(path))


def write_durably(path: Path, data: bytes) -> None:
    """Writes a file and fsyncs it (its directory is synced by the caller's rename)."""
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_meta(block_dir: Path, meta: BlockMeta) -> None:
    write_durably(block_dir / META_FILE, json.dumps(meta.to_json(), indent=1).encode())
