"""Signing a reader or a caller in with their own MLflow credentials (HTTP Basic), as
MLflow's own authentication knows them (the Identity port): the one home of it, for the
command door (`POST /api/v1/commands`) and the release board (`GET /releases`).

MLflow refusing the credentials (or none given) is 401 with a Basic challenge; MLflow
not reachable, or a registry that signs nobody in, is 503: nothing is read or written
either way.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from bot.core.ports.identity import Identity, IdentityError, SignedIn

REALM = 'Basic realm="promobot", charset="UTF-8"'
UNAUTHORISED = "401 Unauthorized"
UNAVAILABLE = "503 Service Unavailable"


@dataclass(frozen=True)
class SignIn:
    """Who signed in, or the HTTP status and sentence of why nobody did."""

    signed: SignedIn | None
    status: str = ""
    problem: str = ""

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The challenge a 401 carries (a browser then asks for the password)."""
        return [("WWW-Authenticate", REALM)] if self.status == UNAUTHORISED else []


def sign_in(identity: Identity, environ: dict[str, Any]) -> SignIn:
    """The account the request's Basic credentials sign in as."""
    credentials = basic_credentials(environ.get("HTTP_AUTHORIZATION", ""))
    if credentials is None:
        return SignIn(
            None, UNAUTHORISED, "sign in with your MLflow username and password (HTTP Basic)"
        )
    try:
        return SignIn(identity.signed_in(*credentials))
    except IdentityError as exc:
        if exc.problem == "wrong":
            return SignIn(None, UNAUTHORISED, str(exc))
        return SignIn(None, UNAVAILABLE, str(exc))


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic …` header; None when there is
    none, or it cannot be read. Pure."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        text = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = text.partition(":")
    if not colon or not username:
        return None
    return username, password
