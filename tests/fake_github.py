"""A small fake of the GitHub REST calls promobot makes, on 127.0.0.1, for tests and
benchmarks: the commenter's permission, the pull request, a reaction, a comment (the
comment door), and a team's members (`GET /orgs/{org}/teams/{slug}/members`, paged
through the Link header as GitHub does). Every call is recorded as (method, path with
its query, JSON body or None).

    with FakeGitHubServer("acme/models", pr=7, teams={"acme/sre": ["sam"]}) as github:
        env["GITHUB_API_URL"] = github.url
        ...
        assert github.calls[0][0] == "GET"

`permissions` maps a login to (permission, role_name); a login not in it gets 404.
Without `permissions`, everyone has write. `teams` maps "org/slug" to logins; another
team gets 404, and a call without `Authorization: Bearer …` gets 401. Make the team calls
misbehave with `github.team_answer = "502"` (that status), `"garbage"` (not JSON) or
`"not-a-list"`; slow them down with `github.delay_s = 2`.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_TEAM_PATH = re.compile(r"/orgs/([^/]+)/teams/([^/]+)/members")


class FakeGitHubServer:
    def __init__(
        self,
        repo: str = "acme/models",
        pr: int = 1,
        *,
        head_sha: str = "0" * 40,
        permissions: dict[str, tuple[str, str]] | None = None,
        comment_url: str = "https://github.test/c/9001",
        teams: dict[str, list[str]] | None = None,
    ) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.teams = dict(teams or {})
        self.team_answer: str | None = None
        self.delay_s = 0.0
        calls = self.calls
        fake = self
        base = f"/repos/{repo}"
        permission_path = re.compile(rf"{re.escape(base)}/collaborators/([^/]+)/permission")

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep the output clean
                pass

            def _answer(
                self, status: int, body: Any, headers: dict[str, str] | None = None
            ) -> None:
                self._send(status, json.dumps(body).encode(), "application/json", headers)

            def _send(
                self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
            ) -> None:
                # A client that timed out (a slow-answer test) has gone: nothing to answer.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)

            def do_GET(self) -> None:
                calls.append(("GET", self.path, None))
                team = _TEAM_PATH.fullmatch(urlsplit(self.path).path)
                if team:
                    fake._team(self, f"{team.group(1)}/{team.group(2)}")
                    return
                login = permission_path.fullmatch(self.path)
                if login and (permissions is None or login.group(1) in permissions):
                    permission, role = (permissions or {}).get(login.group(1), ("write", "write"))
                    self._answer(200, {"permission": permission, "role_name": role})
                elif self.path == f"{base}/pulls/{pr}":
                    self._answer(200, {"number": pr, "head": {"sha": head_sha}})
                else:
                    self._answer(404, {"message": "Not Found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                calls.append(("POST", self.path, body))
                if self.path.endswith("/reactions"):
                    self._answer(201, {"id": 1, **body})
                elif self.path == f"{base}/issues/{pr}/comments":
                    self._answer(201, {"id": 9001, "html_url": comment_url})
                else:
                    self._answer(404, {"message": "Not Found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def team_calls(self) -> list[str]:
        """The paths (with their queries) of the team member calls made so far."""
        return [path for method, path, _ in self.calls if _TEAM_PATH.match(urlsplit(path).path)]

    def _team(self, handler: Any, team: str) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        query = parse_qs(urlsplit(handler.path).query)
        if not handler.headers.get("Authorization", "").startswith("Bearer "):
            return handler._answer(401, {"message": "Requires authentication"})
        if self.team_answer == "garbage":
            return handler._send(200, b"<html>upstream trouble</html>", "text/html")
        if self.team_answer == "not-a-list":
            return handler._answer(200, {"members": "everyone"})
        if self.team_answer is not None:
            return handler._answer(int(self.team_answer), {"message": "Server Error"})
        if team not in self.teams:
            return handler._answer(404, {"message": "Not Found"})
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        logins = self.teams[team]
        chunk = logins[(page - 1) * per_page : page * per_page]
        body = [{"login": login, "id": 1000 + n, "type": "User"} for n, login in enumerate(chunk)]
        links = {}
        if page * per_page < len(logins):
            base = f"{self.url}{urlsplit(handler.path).path}?per_page={per_page}"
            links["Link"] = f'<{base}&page={page + 1}>; rel="next", <{base}&page=1>; rel="first"'
        handler._answer(200, body, links)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeGitHubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
