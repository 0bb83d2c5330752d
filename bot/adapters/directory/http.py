"""One JSON call over HTTP for the directory adapters: a short timeout, no redirects
(a redirect would carry the token to wherever it points), a size limit, and every
failure as a sentence (`LookupFailed`), never a urllib exception."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any

TIMEOUT_S = 5.0  # a chat command has seconds, and a lookup that fails grants nothing
MAX_BYTES = 5_000_000


class LookupFailed(Exception):
    """The call failed; `str()` says why, for a person. `status` is the HTTP status."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    data: Any
    headers: Message


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


_OPENER = urllib.request.build_opener(_NoRedirects)


def fetch_json(request: urllib.request.Request, *, service: str, timeout: float) -> Answer:
    """The JSON `service` ("GitHub", "Slack") answers `request` with."""
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES + 1)
            headers = response.headers
    except urllib.error.HTTPError as error:
        error.close()
        raise LookupFailed(f"{service} answered {error.code}", status=error.code) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise LookupFailed(_slow(service, timeout)) from None
        raise LookupFailed(f"{service} could not be reached ({error.reason})") from None
    except TimeoutError:
        raise LookupFailed(_slow(service, timeout)) from None
    except (OSError, http.client.HTTPException) as error:
        raise LookupFailed(f"{service} could not be reached ({error})") from None
    if len(body) > MAX_BYTES:
        raise LookupFailed(f"{service}'s answer was larger than {MAX_BYTES // 1_000_000} MB")
    try:
        return Answer(json.loads(body), headers)
    except ValueError:
        raise LookupFailed(f"{service}'s answer was not JSON") from None


def _slow(service: str, timeout: float) -> str:
    return f"{service} did not answer within {timeout:g} s"
