"""Seeded registries behind real `mlflow server` processes on 127.0.0.1.

    with registries("sqlite", [SMALL, LARGE], workdir) as regs:
        regs["small"].url, regs["small"].seeded.roles

Servers start in their own process groups and are stopped as groups (tests/servers.py);
PostgreSQL databases are created for the run and dropped afterwards, whatever happens.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import paths
from bench.seed import Seeded, Shape, drop_pg_database, postgres_registry, sqlite_registry

paths.add_tests()

from servers import MlflowServer  # noqa: E402  (tests/servers.py)

# uvicorn's supervisor kills a worker that does not answer its health ping within 5 s,
# and on a loaded machine importing mlflow takes longer: the workers are killed and
# restarted until the server's start times out. A patient ping changes nothing else.
PATIENT = ("--uvicorn-opts", "--timeout-worker-healthcheck 120")


@dataclass
class Registry:
    backend: str  # "sqlite" | "postgresql"
    shape: Shape
    store_uri: str
    seeded: Seeded
    server: MlflowServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def label(self) -> str:
        return self.shape.name


@contextmanager
def registries(
    backend: str,
    shapes: list[Shape],
    workdir: Path,
    server_env: dict[str, str] | None = None,
) -> Iterator[dict[str, Registry]]:
    """Seed one registry per shape and serve each with its own `mlflow server`
    (`server_env`: extra environment for the servers)."""
    with ExitStack() as stack:
        made: dict[str, Registry] = {}
        for shape in shapes:
            where = workdir / f"{backend}-{shape.name}"
            where.mkdir(parents=True, exist_ok=True)
            if backend == "sqlite":
                uri, seeded = sqlite_registry(shape, where)
            else:
                db = f"promobot_bench_{os.getpid()}_{shape.name}"
                stack.callback(drop_pg_database, db)
                uri, seeded = postgres_registry(shape, db, where / "artifacts")
            server = MlflowServer(
                backend_uri=uri, workdir=where, env=dict(server_env or {}), extra_args=PATIENT
            )
            made[shape.name] = Registry(backend, shape, uri, seeded, server)
        # The servers take 10-20 s each to start: start them side by side.
        errors: list[BaseException] = []

        def start(reg: Registry) -> None:
            try:
                reg.server.start(timeout=300)  # a loaded machine: MLflow imports slowly
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(r,)) for r in made.values()]
        for reg in made.values():
            stack.callback(reg.server.stop)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        yield made
