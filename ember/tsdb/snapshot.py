"""Snapshots: a consistent copy of the blocks made of hard links (instant, no extra space)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from ember.tsdb.block_meta import fsync_dir
from ember.tsdb.block_reader import Block

TMP_SUFFIX = ".tmp-for-snapshot"


def snapshot(blocks: Sequence[Block], dst_dir: Path) -> Path:
    """Hard-links every file of every block into `dst_dir/<ulid>/` and returns `dst_dir`.

    Block files never change after they are written (tombstones are replaced by rename, never edited),
    so a link is a stable copy. Each block appears atomically: linked into a temporary directory, then
    renamed.
    """
    dst_dir = Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    for block in blocks:
        final = dst_dir / block.meta.ulid
        tmp = dst_dir / (block.meta.ulid + TMP_SUFFIX)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for source in sorted(block.path.iterdir()):
            if source.is_file() and not source.name.endswith(".tmp"):
                os.link(source, tmp / source.name)
        fsync_dir(tmp)
        shutil.rmtree(final, ignore_errors=True)  # an older snapshot of the same block: refresh it
        os.replace(tmp, final)
    fsync_dir(dst_dir)
    return dst_dir
