"""`--web.config.file`: basic auth with bcrypt hashes on every path, and TLS."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import bcrypt
import httpx
import pytest
from starlette.testclient import TestClient

from ember.config.web_config import load_web_config
from ember.errors import ConfigError
from ember.promql.engine import Engine
from ember.testing import ReferenceStorage
from ember.web.app import create_app
from ember.web.context import WebContext
from tests.local_servers import free_port

REPO = Path(__file__).resolve().parents[2]
HASH = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()


def test_basic_auth_guards_every_path() -> None:
    app = create_app(WebContext(storage=ReferenceStorage(), engine=Engine()), basic_auth_users={"alice": HASH})
    client = TestClient(app)
    for path in ("/api/v1/labels", "/metrics", "/-/healthy"):
        denied = client.get(path)
        assert denied.status_code == 401 and denied.headers["WWW-Authenticate"] == "Basic"
        assert client.get(path, auth=("alice", "wrong")).status_code == 401
        assert client.get(path, auth=("mallory", "s3cret")).status_code == 401
        assert client.get(path, auth=("alice", "s3cret")).status_code == 200
    assert client.get("/-/healthy", headers={"Authorization": "Basic !!!"}).status_code == 401


def test_web_config_file_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "web.yml"
    good.write_text(f"basic_auth_users:\n  alice: '{HASH}'\n")
    assert load_web_config(str(good)).basic_auth_users == {"alice": HASH}
    typo = tmp_path / "typo.yml"
    typo.write_text("basic_auth_user:\n  alice: x\n")
    with pytest.raises(ConfigError, match=r'typo\.yml:1: field "basic_auth_user" not found'):
        load_web_config(str(typo))
    half = tmp_path / "half.yml"
    half.write_text("tls_server_config:\n  cert_file: a.pem\n")
    with pytest.raises(ConfigError, match="both cert_file and key_file"):
        load_web_config(str(half))




@pytest.mark.server
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test certificate")
def test_tls_and_auth_through_ember_serve(tmp_path: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    web = tmp_path / "web.yml"
    web.write_text(f"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
                   f"basic_auth_users:\n  alice: '{HASH}'\n")
    config = tmp_path / "ember.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ember", "serve", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'd'}",
         f"--web.listen-address=127.0.0.1:{port}", f"--web.config.file={web}"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)})
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
                response = httpx.get(f"{base}/-/ready", verify=context, auth=("alice", "s3cret"))
                if response.status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        with httpx.Client(verify=ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))) as tls:
            assert tls.get(f"{base}/-/ready").status_code == 401
            query = tls.get(f"{base}/api/v1/query", params={"query": "1"}, auth=("alice", "s3cret"))
            assert query.json()["data"]["result"][1] == "1"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
