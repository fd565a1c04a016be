"""Opening the blocks of a data directory at start-up, repairing what a crash or a bad disk left.

- temporary directories of an interrupted write, compaction or snapshot are removed;
- a block listed as a parent of another loaded block was already compacted (the crash came between
  writing the new block and deleting its parents), so it is deleted;
- a block that does not open (bad or missing meta.json, a size or checksum mismatch) is logged as an
  ERROR naming it and renamed to `<ulid>.corrupted`, and the other blocks load normally.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from ember.tsdb.block_meta import is_ulid
from ember.tsdb.block_reader import Block

TMP_SUFFIXES = (".tmp-for-creation", ".tmp-for-deletion", ".tmp-for-snapshot", ".tmp")
CORRUPTED_SUFFIX = ".corrupted"


def _remove_leftovers(data_dir: Path, logger: logging.Logger) -> None:
    for entry in data_dir.iterdir():
        if entry.is_dir() and entry.name.endswith(TMP_SUFFIXES) and is_ulid(entry.name.split(".")[0]):
            logger.info("removing temporary block directory %s left by an interrupted write", entry)
            shutil.rmtree(entry, ignore_errors=True)


def _quarantine(path: Path, error: Exception, logger: logging.Logger) -> None:
    target = path.with_name(path.name + CORRUPTED_SUFFIX)
    logger.error("block %s is corrupted and will not be used; moving it to %s: %s", path.name, target, error)
    try:
        shutil.rmtree(target, ignore_errors=True)
        os.replace(path, target)
    except OSError as exc:
        logger.error("could not move corrupted block %s aside: %s", path.name, exc)


def _open_checked(entry: Path, verify_chunks: bool) -> Block:
    block = Block.open(entry)
    if verify_chunks:
        try:
            block.verify()
        except BaseException:
            block.close()
            raise
    return block


def _open_all(data_dir: Path, logger: logging.Logger, verify_chunks: bool) -> list[Block]:
    blocks = []
    for entry in sorted(data_dir.iterdir()):
        if not (entry.is_dir() and is_ulid(entry.name)):
            continue
        try:
            blocks.append(_open_checked(entry, verify_chunks))
        except Exception as exc:  # any failure to open means a damaged block; the server must still start
            _quarantine(entry, exc, logger)
    return blocks


def load_blocks(data_dir: Path, logger: logging.Logger, *, verify_chunks: bool = False) -> list[Block]:
    """Every usable block of `data_dir`, sorted by (min_time, ulid). Opening checks meta.json, file
    sizes and the index checksum; `verify_chunks` also reads every group's checksum (a full scan, for
    offline checks; otherwise a damaged group is reported when it is read)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    _remove_leftovers(data_dir, logger)
    blocks = _open_all(data_dir, logger, verify_chunks)
    compacted = {parent for block in blocks for parent in block.meta.parents}
    kept = []
    for block in blocks:
        if block.meta.ulid in compacted:
            logger.info("deleting block %s: it was already compacted into another block", block.meta.ulid)
            block.close()
            shutil.rmtree(block.path, ignore_errors=True)
        else:
            kept.append(block)
    return sorted(kept, key=lambda b: (b.meta.min_time, b.meta.ulid))
