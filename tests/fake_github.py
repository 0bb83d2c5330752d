"""A small fake of the GitHub REST calls promobot makes, on 127.0.0.1, for tests and
benchmarks: the comment door's (the commenter's permission, the pull request, a
reaction, a comment), the checks gate's (a commit's check runs, paged as GitHub pages
them, and its combined status) and the deployment record's (deployments and their
statuses), and a team's members (`GET /orgs/{org}/teams/{slug}/members`, paged through
the Link header as GitHub does). Every call is recorded as (method, path with its query,
JSON body or None), and its request headers in `headers`.

    with FakeGitHubServer("acme/models", pr=7) as github:
        env["GITHUB_API_URL"] = github.url
        ...
        assert github.calls[0][0] == "GET"

`permissions` maps a login to (permission, role_name); a login not in it gets 404.
Without `permissions`, everyone has write. `check_runs` and `statuses` map a commit SHA
to what GitHub would list for it. `fail(method, path regex, mode)` makes matching calls
answer 500 or 403 (a token without the permission), time out (answer only after
`delay_s`, having done nothing), send garbage (a 200 that is not JSON) or redirect (a 307
to the same path at `redirect_to`), `times` times or until `heal()`. `prefix` serves it
all under a path, as GitHub Enterprise serves `/api/v3`. `teams` maps "org/slug" to
logins; another team gets 404, and a team call without `Authorization: Bearer …` (or
`token …`: GitHub takes both) gets 401. Make the team calls misbehave with
`github.team_answer = "502"` (that status), `"garbage"` (not JSON) or `"not-a-list"`;
slow them down with `github.team_delay_s = 2`.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("500", "403", "timeout", "garbage", "redirect")
_TEAM_PATH = re.compile(r"(?:/api/v3)?/orgs/([^/]+)/teams/([^/]+)/members")


class FakeGitHubServer:
    def __init__(
        self,
        repo: str = "acme/models",
        pr: int = 7,
        *,
        head_sha: str = "0" * 40,
        permissions: dict[str, tuple[str, str]] | None = None,
        comment_url: str = "https://github.test/c/9001",
        check_runs: dict[str, list[dict[str, Any]]] | None = None,
        statuses: dict[str, list[dict[str, Any]]] | None = None,
        prefix: str = "",
        teams: dict[str, list[str]] | None = None,
    ) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.headers: list[dict[str, str]] = []  # each call's request headers, in order
        self.deployments: list[dict[str, Any]] = []  # {"id": n, **the body sent}
        self.deployment_statuses: list[tuple[int, dict[str, Any]]] = []  # (id, body)
        self.check_runs = check_runs if check_runs is not None else {}
        self.statuses = statuses if statuses is not None else {}
        self.delay_s = 3.0
        self.redirect_to = "http://127.0.0.1:9"  # where a `redirect` failure points
        self.teams = dict(teams or {})
        self.team_answer: str | None = None
        self.team_delay_s = 0.0
        self._failures: list[list[Any]] = []  # [method, pattern, mode, times left or None]
        self._lock = threading.Lock()
        fake = self
        # GitHub Enterprise serves the API under /api/v3: `prefix` is that path.
        base = f"{prefix}/repos/{repo}"
        permission_path = re.compile(rf"{re.escape(base)}/collaborators/([^/]+)/permission")
        commit_path = re.compile(rf"{re.escape(base)}/commits/([0-9a-f]+)/(check-runs|status)")
        status_path = re.compile(rf"{re.escape(base)}/deployments/(\d+)/statuses")

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

            def _failed(self, method: str, path: str) -> bool:
                """Answer as a failing GitHub would, if a failure is set for this call."""
                mode = fake._failure(method, path)
                if mode is None:
                    return False
                if mode == "500":
                    self._answer(500, {"message": "simulated outage"})
                elif mode == "403":
                    self._answer(403, {"message": "Resource not accessible by integration"})
                elif mode == "timeout":
                    time.sleep(fake.delay_s)
                    self._answer(502, {"message": "too late"})
                elif mode == "redirect":
                    where = {"Location": f"{fake.redirect_to}{path}"}
                    self._answer(307, {"message": "Temporary Redirect"}, where)
                else:
                    data = b"<html><body>Unicorn! This page is taking too long.</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                return True

            def do_GET(self) -> None:
                fake.calls.append(("GET", self.path, None))
                fake.headers.append(dict(self.headers))
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if self._failed("GET", url.path):
                    return
                team = _TEAM_PATH.fullmatch(url.path)
                if team:
                    fake._team(self, f"{team.group(1)}/{team.group(2)}")
                    return
                login = permission_path.fullmatch(url.path)
                commit = commit_path.fullmatch(url.path)
                if login and (permissions is None or login.group(1) in permissions):
                    permission, role = (permissions or {}).get(login.group(1), ("write", "write"))
                    self._answer(200, {"permission": permission, "role_name": role})
                elif url.path == f"{base}/pulls/{pr}":
                    self._answer(200, {"number": pr, "head": {"sha": head_sha}})
                elif commit and commit.group(2) == "check-runs":
                    runs = fake.check_runs.get(commit.group(1), [])
                    self._page(url.path, query, runs, "check_runs", {})
                elif commit:
                    found = fake.statuses.get(commit.group(1), [])
                    self._page(url.path, query, found, "statuses", {"sha": commit.group(1)})
                else:
                    self._answer(404, {"message": "Not Found"})

            def _page(
                self,
                path: str,
                query: dict[str, str],
                items: list[dict[str, Any]],
                field: str,
                more: dict[str, Any],
            ) -> None:
                """GitHub's paging: per_page (at most 100, default 30), page from 1,
                total_count, and a Link header to the next page."""
                per_page = min(int(query.get("per_page", 30)), 100)
                page = int(query.get("page", 1))
                chunk = items[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(items):
                    link = f"{fake.url}{path}?per_page={per_page}&page={page + 1}"
                    headers["Link"] = f'<{link}>; rel="next"'
                body = {"total_count": len(items), field: chunk, **more}
                self._answer(200, body, headers)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.calls.append(("POST", self.path, body))
                fake.headers.append(dict(self.headers))
                if self._failed("POST", self.path):
                    return
                status = status_path.fullmatch(self.path)
                if self.path.endswith("/reactions"):
                    self._answer(201, {"id": 1, **body})
                elif self.path == f"{base}/issues/{pr}/comments":
                    self._answer(201, {"id": 9001, "html_url": comment_url})
                elif self.path == f"{base}/deployments":
                    with fake._lock:
                        deployment = {"id": 1000 + len(fake.deployments) + 1, **body}
                        fake.deployments.append(deployment)
                    self._answer(201, {**deployment, "url": f"{fake.url}{base}/deployments"})
                elif status and any(d["id"] == int(status.group(1)) for d in fake.deployments):
                    with fake._lock:
                        fake.deployment_statuses.append((int(status.group(1)), body))
                    self._answer(201, {"id": len(fake.deployment_statuses), **body})
                else:
                    self._answer(404, {"message": "Not Found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---- failures ------------------------------------------------------------------------

    def fail(self, method: str, pattern: str, mode: str, times: int | None = None) -> None:
        """Make calls of `method` whose path matches `pattern` (re.search) fail: `mode` is
        500, 403, timeout, garbage or redirect; `times` (None: until heal())."""
        assert mode in MODES, mode
        with self._lock:
            self._failures.append([method, re.compile(pattern), mode, times])

    def heal(self) -> None:
        with self._lock:
            self._failures.clear()

    def _failure(self, method: str, path: str) -> str | None:
        with self._lock:
            for failure in self._failures:
                wanted, pattern, mode, left = failure
                if wanted == method and pattern.search(path) and (left is None or left > 0):
                    if left is not None:
                        failure[3] = left - 1
                    return str(mode)
        return None

    # ---- teams ---------------------------------------------------------------------------

    def team_calls(self) -> list[str]:
        """The paths (with their queries) of the team member calls made so far."""
        return [
            path for _, path, _ in self.calls if _TEAM_PATH.match(urllib.parse.urlsplit(path).path)
        ]

    def _team(self, handler: Any, team: str) -> None:
        if self.team_delay_s:
            time.sleep(self.team_delay_s)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(handler.path).query)
        if not handler.headers.get("Authorization", "").startswith(("Bearer ", "token ")):
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
            path = urllib.parse.urlsplit(handler.path).path
            base = f"{self.url}{path}?per_page={per_page}"
            links["Link"] = f'<{base}&page={page + 1}>; rel="next", <{base}&page=1>; rel="first"'
        handler._answer(200, body, links)

    # ---- what was recorded ---------------------------------------------------------------

    def statuses_of(self, deployment_id: int) -> list[str]:
        """The states sent for one deployment, in order."""
        return [body["state"] for dep, body in self.deployment_statuses if dep == deployment_id]

    def __enter__(self) -> FakeGitHubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
