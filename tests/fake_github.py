"""A small fake of the GitHub REST calls the comment door makes, on 127.0.0.1, for tests
and benchmarks: the commenter's permission, the pull request, a reaction, a comment.
Every call is recorded as (method, path, JSON body or None).

    with FakeGitHubServer("acme/models", pr=7) as github:
        env["GITHUB_API_URL"] = github.url
        ...
        assert github.calls[0][0] == "GET"

`permissions` maps a login to (permission, role_name); a login not in it gets 404.
Without `permissions`, everyone has write.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeGitHubServer:
    def __init__(
        self,
        repo: str,
        pr: int,
        *,
        head_sha: str = "0" * 40,
        permissions: dict[str, tuple[str, str]] | None = None,
        comment_url: str = "https://github.test/c/9001",
    ) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        calls = self.calls
        base = f"/repos/{repo}"
        permission_path = re.compile(rf"{re.escape(base)}/collaborators/([^/]+)/permission")

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep the output clean
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                calls.append(("GET", self.path, None))
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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeGitHubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
