"""HTTP basic authentication from the web config: bcrypt-hashed users, checked once per distinct
credential (bcrypt is slow on purpose), applied to every path as Prometheus does."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import bcrypt
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# Unknown users are checked against a dummy hash so that timing does not reveal which users exist.
_DUMMY_HASH = bcrypt.hashpw(b"ember-dummy-password", bcrypt.gensalt(4))


class BasicAuth:
    def __init__(self, app: ASGIApp, users: dict[str, str]) -> None:
        self.app = app
        self._users = {name: hashed.encode() for name, hashed in users.items()}
        self._verified: dict[tuple[str, bytes], bool] = {}

    def _check(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        key = (user, hashlib.sha256(password.encode()).digest())
        known = self._verified.get(key)
        if known is None:
            hashed = self._users.get(user, _DUMMY_HASH)
            try:
                known = bcrypt.checkpw(password.encode(), hashed) and user in self._users
            except ValueError:
                known = False
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[key] = known
        return hmac.compare_digest(b"1" if known else b"0", b"1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
            if not self._check(header):
                response = PlainTextResponse("Unauthorized", status_code=401,
                                             headers={"WWW-Authenticate": "Basic"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
