"""A small fake of Slack's Web API on 127.0.0.1, for tests and benchmarks.

It answers like Slack (`{"ok": true, "channel": ..., "ts": ...}`) and records every
call: Web API methods at `<api_url><method>` (form or JSON bodies, as slack_sdk sends
them) and POSTs to response URLs at `response_url(key)`. Point the app at it with
`SLACK_API_URL=fake.api_url`, and put `fake.response_url("...")` in the payloads.

    with FakeSlack() as fake:
        ...
        call = fake.wait_for(lambda c: c.method == "chat.postMessage", timeout=10)
        assert call.body["channel"] == "C1"

Make a method fail like Slack does with `fake.fail("chat.postMessage", "not_in_channel")`;
slow every answer down with `fake.delay_ms = 200`. `views.open` answers with the view it
was given (an id added); `fake.opened_views()` are the views opened, with their trigger.
Make a method fail like Slack does with `fake.fail("chat.postMessage", "not_in_channel")`,
or answer what Slack never does with `fake.misbehave("usergroups.users.list", "garbage")`
(not JSON) or `fake.misbehave(method, 503)` (that HTTP status); slow every answer down
with `fake.delay_ms = 200`. `fake.usergroups` maps a user group id to its members, for
`usergroups.users.list` (another id answers `no_such_subteam`).
slow every answer down with `fake.delay_ms = 200`. Like Slack, it answers
`invalid_blocks` to a message whose blocks repeat a `block_id`, or repeat an `action_id`
inside one block.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_JSON_FIELDS = ("blocks", "attachments", "metadata", "view")


@dataclass
class Call:
    kind: str  # "api" (a Web API method) or "response" (a response_url POST)
    method: str  # "chat.postMessage", …; for a response_url, its key
    body: dict[str, Any]
    headers: dict[str, str]
    answer: dict[str, Any] = field(default_factory=dict)  # what the fake answered
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        """Everything a person would read in this message: text and all block texts."""
        parts = [str(self.body.get("text") or "")]
        parts.extend(_block_texts(self.body.get("blocks") or []))
        return "\n".join(p for p in parts if p)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.body.get("blocks") or [])

    def actions(self) -> list[dict[str, Any]]:
        """The interactive elements (buttons) of the message."""
        return [el for b in self.blocks if b.get("type") == "actions" for el in b["elements"]]


class FakeSlack:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.calls: list[Call] = []
        self.delay_ms = 0
        self.usergroups: dict[str, list[str]] = {}
        self._failures: dict[str, str] = {}
        self._misbehaving: dict[str, str | int] = {}
        self._lock = threading.Condition()
        self._ts = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="fake-slack"
        )

    # ---- life -----------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """For SLACK_API_URL / WebClient(base_url=...): ends with "/"."""
        return f"{self.url}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.url}/response/{key}"

    # ---- behaviour ----------------------------------------------------------------------------

    def fail(self, method: str, error: str | None) -> None:
        """Answer `method` with {"ok": false, "error": error} (None: answer normally again)."""
        with self._lock:
            if error is None:
                self._failures.pop(method, None)
            else:
                self._failures[method] = error

    def misbehave(self, method: str, how: str | int | None) -> None:
        """Answer `method` with "garbage" (not JSON) or an HTTP status (None: normally)."""
        with self._lock:
            if how is None:
                self._misbehaving.pop(method, None)
            else:
                self._misbehaving[method] = how

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._misbehaving.clear()

    # ---- reading what was recorded ------------------------------------------------------------

    def api_calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.kind == "api" and method in (None, c.method)]

    def opened_views(self) -> list[tuple[str, dict[str, Any]]]:
        """(trigger_id, view) of every `views.open`, in order."""
        return [
            (str(c.body.get("trigger_id", "")), c.body["view"])
            for c in self.api_calls("views.open")
        ]

    def responses(self, key: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.kind == "response" and key in (None, c.method)]

    def wait_for(
        self, predicate: Callable[[Call], bool], timeout: float = 15.0, count: int = 1
    ) -> Call:
        """The `count`-th recorded call matching `predicate`, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if predicate(c)]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = "\n".join(
                        f"  {c.kind} {c.method}: {c.text[:120]!r}" for c in self.calls[-15:]
                    )
                    raise TimeoutError(
                        f"no matching Slack call within {timeout}s; last calls:\n{seen}"
                    )
                self._lock.wait(min(left, 0.5))

    def wait_for_response(self, key: str, timeout: float = 15.0) -> Call:
        return self.wait_for(lambda c: c.kind == "response" and c.method == key, timeout)

    def __iter__(self) -> Iterator[Call]:
        with self._lock:
            return iter(list(self.calls))

    # ---- the server -----------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        path = urlsplit(req.path).path
        headers = {k.lower(): v for k, v in req.headers.items()}
        body = _decode(raw, headers.get("content-type", ""))
        if self.delay_ms:
            time.sleep(self.delay_ms / 1000)
        if path.startswith("/api/"):
            method = path[len("/api/") :]
            answer = self._answer(method, body)
            self._record(Call("api", method, body, headers, answer))
            how = self._misbehaving.get(method)
            if how == "garbage":
                self._send(req, 200, b"<html>upstream trouble</html>", "text/html")
            elif isinstance(how, int):
                self._send(req, how, b'{"ok": false}', "application/json")
            else:
                self._send(req, 200, json.dumps(answer).encode(), "application/json")
        elif path.startswith("/response/"):
            self._record(Call("response", path[len("/response/") :], body, headers))
            self._send(req, 200, b"ok", "text/plain")
        else:
            self._send(req, 404, b"not found", "text/plain")

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            error = self._failures.get(method)
            self._ts += 1
            ts = f"{int(time.time())}.{self._ts:06d}"
        if error:
            return {"ok": False, "error": error}
        if method in ("chat.postMessage", "chat.update") and not _blocks_valid(body):
            return {"ok": False, "error": "invalid_blocks"}
        channel = str(body.get("channel") or "")
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Fake",
                "user": "promobot",
                "team_id": "T0FAKE",
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {"text": body.get("text", ""), "ts": ts, "bot_id": "B0BOT"},
            }
        if method == "chat.update":
            return {
                "ok": True,
                "channel": channel,
                "ts": str(body.get("ts", "")),
                "text": body.get("text", ""),
            }
        if method == "usergroups.users.list":
            users = self.usergroups.get(str(body.get("usergroup") or ""))
            if users is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(users)}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "views.open":
            view = body.get("view") if isinstance(body.get("view"), dict) else {}
            # Slack answers with the view it opened, given an id and the app's state.
            opened = {**view, "id": f"V{self._ts:08d}", "state": {"values": {}}}
            return {"ok": True, "view": opened}
        if method == "chat.getPermalink":
            mts = str(body.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://fake.slack.test/archives/{channel}/p{mts}",
            }
        return {"ok": True}

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, payload: bytes, ctype: str) -> None:
        # A client that timed out (a slow-answer test) has gone: nothing to answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            req.send_response(status)
            req.send_header("Content-Type", ctype)
            req.send_header("Content-Length", str(len(payload)))
            req.end_headers()
            req.wfile.write(payload)


def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            loaded = json.loads(text)
        except ValueError:
            return {"_raw": text}
        return loaded if isinstance(loaded, dict) else {"_json": loaded}
    body: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True))
    for key in _JSON_FIELDS:  # form-encoded calls carry blocks as a JSON string
        if isinstance(body.get(key), str):
            with contextlib.suppress(ValueError):
                body[key] = json.loads(body[key])
    return body


def _blocks_valid(body: dict[str, Any]) -> bool:
    """Slack's uniqueness rules: block_ids across the message, action_ids within a block."""
    blocks = body.get("blocks") or []
    if not isinstance(blocks, list):
        return True
    block_ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        return False
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("elements"), list):
            continue
        ids = [el.get("action_id") for el in block["elements"] if isinstance(el, dict)]
        ids = [i for i in ids if i]
        if len(ids) != len(set(ids)):
            return False
    return True


def _block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            out.append(str(text.get("text", "")))
        for f in block.get("fields") or []:
            out.append(str(f.get("text", "")))
        for el in block.get("elements") or []:
            if isinstance(el.get("text"), dict):
                out.append(str(el["text"].get("text", "")))
            elif isinstance(el.get("text"), str):
                out.append(el["text"])
    return out


def slack_signature(secret: str, timestamp: str, body: str | bytes) -> str:
    """What Slack signs a request with: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + timestamp.encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
