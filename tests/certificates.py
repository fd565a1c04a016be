"""A throw-away self-signed certificate for 127.0.0.1, for tests of TLS clients and servers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

OPENSSL = shutil.which("openssl")


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    """(certificate path, key path); needs the `openssl` command (Debian package `openssl`)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [str(OPENSSL), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return str(cert), str(key)
