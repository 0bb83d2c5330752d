"""The release board's door (docs/board.md): `GET /releases`, `GET /releases/<model>`
(`?page=N` for the trail, `?tz=Area/City` for local times on hover), the trail's
downloads `/releases/<model>/trail.csv` and `.jsonl`, and the stylesheet
`/releases/board.css`. Read-only: any other method is 405.

Who may read (the board shows who approved what):
- a guarded registry (promobot's guard serves MLflow): the reader signs in with their
  own MLflow credentials, HTTP Basic, checked as the command door checks them
  (bot/doors/signin.py): none or wrong → 401, MLflow unreachable → 503;
- otherwise only a reader on this machine (127.0.0.1 or ::1, not forwarded by a proxy)
  unless PROMOBOT_BOARD=on, and every page says the registry is not guarded;
- PROMOBOT_BOARD=off: no board (404).

Every answer carries a Content-Security-Policy that allows no script at all, styles and
images from the board's own origin only. The overview is drawn from the read of MLflow
kept up to `max_age` seconds (bot/core/service/board_read.py; 0: afresh).
"""

from __future__ import annotations

import io
import ipaddress
import logging
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from bot.core.ports.identity import Identity
from bot.core.ports.registry import RegistryError
from bot.core.service import Service
from bot.core.service.board_read import KeptRead
from bot.doors.signin import sign_in
from bot.render.board import CSS, Reader, model_page, overview_page
from bot.render.board.html import BASE, CSS_PATH, esc, page
from bot.render.trail_export import write_records

log = logging.getLogger("promobot.board")

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
UNGUARDED = (
    "This registry is not guarded by promobot: anyone who can reach it could change what "
    "this board shows."
)
NOT_GUARDED = f"{UNGUARDED} It is served to this machine only, unless PROMOBOT_BOARD=on."
EXPOSED = f"{UNGUARDED} PROMOBOT_BOARD=on: it is served to anyone who can reach this server."
DOWNLOADS = {
    "/trail.csv": ("csv", "text/csv; charset=utf-8"),
    "/trail.jsonl": ("jsonl", "application/x-ndjson"),
}
MAX_PAGE = 100_000


class BoardDoor:
    """The WSGI app of /releases and below."""

    def __init__(
        self,
        service: Callable[[], Service],
        identity: Identity,
        *,
        mode: str = "",
        ui_url: str = "",
        max_age: float = 0.0,
    ) -> None:
        self.service = service
        self.identity = identity
        self.mode = mode  # PROMOBOT_BOARD: "", "on" or "off"
        self.ui_url = ui_url
        self.max_age = max_age  # PROMOBOT_BOARD_SECONDS: how old the overview's read may be
        self._guarded: bool | None = None  # asked of MLflow once, on the first read
        self._kept: KeptRead | None = None
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        status, ctype, body, extra = self._answer(environ)
        head = environ.get("REQUEST_METHOD", "GET").upper() == "HEAD"
        headers = [
            ("Content-Type", ctype),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Content-Security-Policy", CSP),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
            *extra,
        ]
        start_response(status, headers)
        return [b"" if head else body]

    def _answer(self, environ: dict[str, Any]) -> tuple[str, str, bytes, list[tuple[str, str]]]:
        if environ.get("REQUEST_METHOD", "GET").upper() not in ("GET", "HEAD"):
            return "405 Method Not Allowed", *_text("the board only reads"), [("Allow", "GET")]
        path = _path(environ)
        if self.mode == "off":
            return "404 Not Found", *_text("the board is off (PROMOBOT_BOARD=off)"), []
        if path == CSS_PATH:
            return "200 OK", "text/css; charset=utf-8", CSS.encode(), []
        try:
            guarded = self.guarded()
        except RegistryError as exc:
            return _problem("503 Service Unavailable", f"MLflow cannot be reached: {exc}")
        if guarded:
            found = sign_in(self.identity, environ)
            if found.signed is None:
                return _problem(found.status, f"Not signed in: {found.problem}", found.headers)
        elif self.mode != "on" and not _local(environ):
            return _problem(
                "403 Forbidden",
                "The registry is not guarded, so the board answers only on this machine "
                "(set PROMOBOT_BOARD=on to serve it to others).",
            )
        reader = Reader(
            tz=_query(environ, "tz")[:64],
            ui_url=self.ui_url,
            notice="" if guarded else EXPOSED if self.mode == "on" else NOT_GUARDED,
        )
        try:
            return self._page(path, environ, reader)
        except RegistryError as exc:
            log.warning("board: %s", exc)
            return _problem("503 Service Unavailable", f"MLflow could not be read: {exc}")

    def guarded(self) -> bool:
        """Whether promobot's guard serves the registry, asked of MLflow once."""
        if self._guarded is None:
            with self._lock:
                if self._guarded is None:
                    self._guarded = self.service().drift_scan.guard().guarded
        return self._guarded

    def kept(self) -> KeptRead:
        """The overview's kept read (bot/core/service/board_read.py), one per process."""
        if self._kept is None:
            with self._lock:
                if self._kept is None:
                    service = self.service()
                    self._kept = KeptRead(service.board, service.changes, self.max_age)
        return self._kept

    def _page(
        self, path: str, environ: dict[str, Any], reader: Reader
    ) -> tuple[str, str, bytes, list[tuple[str, str]]]:
        html_type = "text/html; charset=utf-8"
        if path in (BASE, f"{BASE}/"):
            found = self.kept().overview()
            return "200 OK", html_type, overview_page(found, reader).encode(), []
        name = path[len(BASE) + 1 :]
        for suffix, (fmt, ctype) in DOWNLOADS.items():
            if name.endswith(suffix):
                return self._download(name.removesuffix(suffix), fmt, ctype)
        number = _query(environ, "page")
        wanted = int(number) if number.isdigit() and 0 < len(number) < 7 else 1
        board = self.service().board.model(name, min(wanted, MAX_PAGE))
        if board is None:
            return _problem("404 Not Found", f"No governed model is called {name}.")
        return "200 OK", html_type, model_page(board, reader).encode(), []

    def _download(
        self, name: str, fmt: str, ctype: str
    ) -> tuple[str, str, bytes, list[tuple[str, str]]]:
        service = self.service()
        if service.policy.rules_for(name) is None:
            return _problem("404 Not Found", f"No governed model is called {name}.")
        out = io.StringIO()
        write_records(service.board.records(name), fmt, out)
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100]
        disposition = f'attachment; filename="{safe}-trail.{fmt}"'
        return "200 OK", ctype, out.getvalue().encode(), [("Content-Disposition", disposition)]


def _path(environ: dict[str, Any]) -> str:
    """PATH_INFO as text: WSGI hands it over as latin-1 of the bytes sent (PEP 3333)."""
    raw = environ.get("PATH_INFO") or "/"
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def _query(environ: dict[str, Any], key: str) -> str:
    found = urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get(key, [""])
    return found[0].strip()


def _local(environ: dict[str, Any]) -> bool:
    """A reader on this machine: a loopback peer that no proxy forwarded."""
    if environ.get("HTTP_X_FORWARDED_FOR") or environ.get("HTTP_FORWARDED"):
        return False
    try:
        return ipaddress.ip_address(str(environ.get("REMOTE_ADDR", ""))).is_loopback
    except ValueError:
        return False


def _text(said: str) -> tuple[str, bytes]:
    return "text/plain; charset=utf-8", f"{said}\n".encode()


def _problem(
    status: str, said: str, extra: list[tuple[str, str]] | None = None
) -> tuple[str, str, bytes, list[tuple[str, str]]]:
    body = page(status, f"<h1>{esc(status)}</h1><p>{esc(said)}</p>")
    return status, "text/html; charset=utf-8", body.encode(), extra or []
