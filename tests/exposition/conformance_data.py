"""Where the shared conformance data lives: $EMBER_CONFORMANCE_DIR or <repo>/../shared/conformance."""

from __future__ import annotations

import os
from pathlib import Path

SKIP_REASON = (
    "conformance data not found: set EMBER_CONFORMANCE_DIR or place it at <repo>/../shared/conformance"
)


def conformance_dir() -> Path | None:
    configured = os.environ.get("EMBER_CONFORMANCE_DIR")
    root = Path(configured) if configured else Path(__file__).resolve().parents[3] / "shared" / "conformance"
    return root if root.is_dir() else None
