"""A small fake of Slack's Web API on 127.0.0.1, for tests and benchmarks.

It answers like Slack (`{"ok": true, "channel": ..., "ts": ...}`) and records every
call: Web API methods at `<api_url><method>` (form or JSON bodies, as slack_sdk sends
them) and POSTs to response URLs at `response_url(key)`. Point the app at it with
`SLACK_API_URL=fake.api_url`, and put `fake.response_url("...")` in the payloads.

    with FakeSlack() as fake:
        ...
        call = fake.wait_for(lambda c: c.method == "chat.postMessage", timeout=10)
        assert call.body["channel"] == "C1"

It refuses what Slack refuses. Every message promobot sends (chat.postMessage,
chat.update, chat.postEphemeral, a response URL) is checked against Slack's documented
limits: each block parsed and validated with slack_sdk's Block Kit models
(`Block.parse(b)`, `validate_json()`, and `to_dict()`, which validates the elements
inside), at most 50 blocks, no block_id twice and no action_id twice in a block, a
section field at most 2,000 characters, no empty text, the `text` at most 40,000; every
view (views.open, views.update) with slack_sdk's `View`. A refused payload is answered
as Slack does, HTTP 200 with `{"ok": false, "error": "invalid_blocks"}` (or
`msg_too_long`, `no_text`), and recorded in `fake.refusals`; the autouse guard
`refused_payloads` (tests/conftest.py) fails every test in which promobot sent one. A
test that sends one on purpose says so with `fake.expect_refusals()`.

Make a method fail like Slack does with `fake.fail("chat.postMessage", "not_in_channel")`,
or answer what Slack never does with `fake.misbehave("usergroups.users.list", "garbage")`
(not JSON) or `fake.misbehave(method, 503)` (that HTTP status); slow every answer down
with `fake.delay_ms = 200`. `views.open` answers with the view it was given (an id
added); `fake.opened_views()` are the views opened, with their trigger. `fake.usergroups`
maps a user group id to its members, for `usergroups.users.list` (another id answers
`no_such_subteam`).
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

import pytest

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
        # The WORD JOINER promobot puts after an `@` (so Slack makes no mention of it) is
        # invisible: a person reads `@champion`.
        return "\n".join(p for p in parts if p).replace("\u2060", "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.body.get("blocks") or [])

    def actions(self) -> list[dict[str, Any]]:
        """The interactive elements (buttons) of the message."""
        return [el for b in self.blocks if b.get("type") == "actions" for el in b["elements"]]


@dataclass(frozen=True)
class Refusal:
    """A payload the fake refused, as Slack would have: where it was sent, Slack's error,
    and what exactly is wrong (slack_sdk's sentence, or the limit broken)."""

    method: str  # "chat.postMessage", …, or "response_url"
    error: str  # "invalid_blocks", "msg_too_long", "no_text"
    detail: str

    def __str__(self) -> str:
        return f"{self.method}: {self.error}: {self.detail}"


# Every refusal of every fake not told to expect them, for the guard of tests/conftest.py.
UNEXPECTED: list[Refusal] = []

BLOCKS_MAX = 50  # blocks in one message
FIELD_MAX = 2000  # characters in one section field
TEXT_MAX = 40_000  # characters of a message's `text`
_MESSAGES = ("chat.postMessage", "chat.update", "chat.postEphemeral")
_VIEWS = ("views.open", "views.update", "views.push")


class FakeSlack:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.calls: list[Call] = []
        self.refusals: list[Refusal] = []
        self._refusals_expected = False
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

    def fail(self, method: str, error: str | None, channel: str = "") -> None:
        """Answer `method` with {"ok": false, "error": error} (None: answer normally
        again); with `channel`, only the calls for that channel."""
        key = f"{method}#{channel}" if channel else method
        with self._lock:
            if error is None:
                self._failures.pop(key, None)
            else:
                self._failures[key] = error

    def misbehave(self, method: str, how: str | int | None) -> None:
        """Answer `method` with "garbage" (not JSON) or an HTTP status (None: normally)."""
        with self._lock:
            if how is None:
                self._misbehaving.pop(method, None)
            else:
                self._misbehaving[method] = how

    def expect_refusals(self) -> None:
        """This test sends payloads Slack refuses on purpose: they are recorded in
        `refusals`, and the guard lets them be."""
        self._refusals_expected = True

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
            refused = self._refused("response_url", body)
            answer = {"ok": False, "error": refused.error} if refused else {"ok": True}
            self._record(Call("response", path[len("/response/") :], body, headers, answer))
            if refused:
                self._send(req, 200, json.dumps(answer).encode(), "application/json")
            else:
                self._send(req, 200, b"ok", "text/plain")
        else:
            self._send(req, 404, b"not found", "text/plain")

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        channel = str(body.get("channel") or "")
        with self._lock:
            error = self._failures.get(f"{method}#{channel}") or self._failures.get(method)
            self._ts += 1
            ts = f"{int(time.time())}.{self._ts:06d}"
        if error:
            return {"ok": False, "error": error}
        refused = self._refused(method, body)
        if refused:
            return {"ok": False, "error": refused.error}
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

    def _refused(self, method: str, body: dict[str, Any]) -> Refusal | None:
        """Slack's refusal of this payload, recorded; None when Slack takes it."""
        if method in _MESSAGES or method == "response_url":
            found = message_problem(body, needs_text=method == "chat.postMessage")
        elif method in _VIEWS:
            found = view_problem(body.get("view"))
        else:
            return None
        if found is None:
            return None
        refusal = Refusal(method, *found)
        with self._lock:
            self.refusals.append(refusal)
            if not self._refusals_expected:
                UNEXPECTED.append(refusal)
        return refusal

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


def message_problem(body: dict[str, Any], *, needs_text: bool = False) -> tuple[str, str] | None:
    """(Slack's error, what is wrong) for a message Slack refuses; None when it is valid."""
    text, blocks = body.get("text"), body.get("blocks")
    if isinstance(text, str) and len(text) > TEXT_MAX:
        return "msg_too_long", f"text is {len(text)} characters (max {TEXT_MAX})"
    if blocks is None or blocks == "":
        if needs_text and not text:
            return "no_text", "neither text nor blocks"
        return None
    return blocks_problem(blocks)


def blocks_problem(blocks: Any) -> tuple[str, str] | None:
    """What Slack refuses in a message's blocks: slack_sdk's own validation of each block
    (its elements included), and the message-level rules it does not check."""
    if not isinstance(blocks, list):
        return "invalid_blocks_format", "blocks is not a list"
    if len(blocks) > BLOCKS_MAX:
        return "invalid_blocks", f"{len(blocks)} blocks (max {BLOCKS_MAX})"
    block_ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        return "invalid_blocks", "a block_id repeats"
    for n, block in enumerate(blocks):
        problem = _block_problem(block)
        if problem:
            return "invalid_blocks", f"block {n}: {problem}"
    return None


def view_problem(view: Any) -> tuple[str, str] | None:
    """What Slack refuses in a modal: slack_sdk's View, and each of its blocks."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.views import View

    if not isinstance(view, dict):
        return "invalid_arguments", "view is not an object"
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as exc:
        return "invalid_arguments", f"view: {exc}"
    return blocks_problem(view.get("blocks") or [])


def _block_problem(block: Any) -> str | None:
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    if not isinstance(block, dict):
        return "not an object"
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return f"unknown block type {block.get('type')!r}"
        parsed.validate_json()
        parsed.to_dict()  # validates the elements and text objects inside
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as exc:
        return str(exc)
    if isinstance(block.get("elements"), list):
        ids = [el.get("action_id") for el in block["elements"] if isinstance(el, dict)]
        ids = [i for i in ids if i]
        if len(ids) != len(set(ids)):
            return "an action_id repeats in the block"
    for field_ in block.get("fields") or []:
        if len(str(field_.get("text", ""))) > FIELD_MAX:
            return f"a field of {len(str(field_.get('text', '')))} characters (max {FIELD_MAX})"
    if _empty_text(block):
        return "a text object with no text"
    return None


def _empty_text(node: Any) -> bool:
    """Whether any text object (plain_text or mrkdwn) inside `node` has no text."""
    if isinstance(node, list):
        return any(_empty_text(item) for item in node)
    if not isinstance(node, dict):
        return False
    if node.get("type") in ("plain_text", "mrkdwn") and not node.get("text"):
        return True
    return any(_empty_text(value) for value in node.values() if isinstance(value, dict | list))


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


@pytest.fixture(autouse=True)
def refused_payloads() -> Iterator[None]:
    """Fails the test in which promobot sent any fake Slack a payload Slack refuses
    (imported by tests/conftest.py, so that it guards every test)."""
    before = len(UNEXPECTED)
    yield
    refused = UNEXPECTED[before:]
    if refused:
        del UNEXPECTED[before:]
        lines = "\n".join(f"  {r}" for r in refused)
        pytest.fail(f"promobot sent Slack {len(refused)} payload(s) it refuses:\n{lines}")


def slack_signature(secret: str, timestamp: str, body: str | bytes) -> str:
    """What Slack signs a request with: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + timestamp.encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
