"""`--web.config.file`: Prometheus's web configuration (TLS for the server, bcrypt basic-auth users)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ember.config.yaml_nodes import ConfigNode, parse_yaml


@dataclass(frozen=True)
class WebConfig:
    cert_file: str = ""
    key_file: str = ""
    basic_auth_users: dict[str, str] = field(default_factory=dict, repr=False)  # user -> bcrypt hash

    @property
    def tls(self) -> bool:
        return bool(self.cert_file)


def load_web_config(path: str) -> WebConfig:
    """Reads and validates a web config file; errors name the file, line and field."""
    text = Path(path).read_text()
    root = ConfigNode.root(parse_yaml(text, path), path, "web config", str(Path(path).parent))
    root.expect_only(["tls_server_config", "basic_auth_users", "http_server_config"])
    root.refuse("http_server_config")
    users = root.string_map("basic_auth_users")
    tls = root.section("tls_server_config", "tls_server_config")
    cert = key = ""
    if tls is not None:
        tls.expect_only(["cert_file", "key_file"])
        cert, key = tls.path("cert_file"), tls.path("key_file")
        if bool(cert) != bool(key):
            raise tls.error("both cert_file and key_file are needed to serve TLS")
    root.finish()
    return WebConfig(cert, key, users)
