"""`promobot board`: the release board alone, on 127.0.0.1, over any registry promobot can
read (the demo's SQLite file, a tracking server): the same pages `promobot serve` serves
at /releases (bot/doors/board.py), without Slack. It listens on this machine only, so
the board's rule for a registry that is not guarded holds whatever PROMOBOT_BOARD says.

With `--prometheus-data DIR` it starts a Prometheus of its own over the data a
Prometheus kept in DIR (the demo's, which scraped its watched promotion), so the chart
shows what the verification saw; it is stopped when the board stops.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.app import build_identity, build_service
from bot.config import load_settings
from bot.core.policy import PolicyError
from bot.doors.board import BoardDoor
from bot.doors.common import ExitCode
from bot.doors.demo.local_prometheus import PrometheusServer

HOST = "127.0.0.1"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """One line a request on stderr would drown the URL the person opens."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="promobot board",
        description="Serve the release board on 127.0.0.1 (read-only).",
        epilog="Every page is read from MLflow afresh (promobot serve keeps the overview's "
        "read up to PROMOBOT_BOARD_SECONDS instead).",
    )
    p.add_argument("--registry", help="the MLflow tracking URI (default MLFLOW_TRACKING_URI)")
    p.add_argument("--policy", help="policy file or folder (default PROMOBOT_POLICY)")
    p.add_argument("--port", type=int, default=8088, help="port on 127.0.0.1 (default 8088)")
    p.add_argument("--prometheus", help="Prometheus URL for the charts")
    p.add_argument(
        "--prometheus-data",
        type=Path,
        help="start a Prometheus of its own over the data kept in this folder",
    )
    return p


def _stop(signum: int, frame: Any) -> None:
    # SIGTERM stops the board as Ctrl-C does, so its own Prometheus is stopped too.
    raise KeyboardInterrupt


def missing_sqlite_file(uri: str) -> Path | None:
    """The file a `sqlite:///…` registry URI names when it does not exist, else None.

    MLflow would create an empty registry there (folders too): a read-only board over a
    mistyped path would then show nothing, as if no model were governed.
    """
    if not uri.startswith("sqlite:///"):
        return None
    path = Path(uri[len("sqlite:///") :].split("?", 1)[0])
    return None if path.exists() else path


def run_board(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    settings = load_settings()
    given = {
        "mlflow_tracking_uri": args.registry,
        "promobot_policy": args.policy,
        "promobot_prometheus_url": args.prometheus,
    }
    settings = settings.model_copy(update={k: v for k, v in given.items() if v})
    missing = missing_sqlite_file(settings.mlflow_tracking_uri)
    if missing is not None:
        print(f"promobot board: no registry at {missing} (no such SQLite file)", file=sys.stderr)
        return ExitCode.USAGE
    prometheus = None
    try:
        if args.prometheus_data is not None:
            prometheus = PrometheusServer(args.prometheus_data.resolve(), []).start()
            settings = settings.model_copy(update={"promobot_prometheus_url": prometheus.url})
        service = build_service(settings)
        door = BoardDoor(
            lambda: service,
            build_identity(settings),
            ui_url=settings.promobot_mlflow_ui_url,
            # One reader on this machine, changing the registry from another terminal:
            # every page afresh (serve keeps the overview's read: board_read.py).
            max_age=0.0,
        )
        with make_server(HOST, args.port, door, _Server, handler_class=_Quiet) as server:
            print(f"The release board: http://{HOST}:{server.server_port}/releases", flush=True)
            print("(Ctrl-C stops it)", flush=True)
            server.serve_forever()
    except PolicyError as exc:
        print("promobot board: the policy files are invalid:", file=sys.stderr)
        for line in exc.problems:
            print(f"  {line}", file=sys.stderr)
        return ExitCode.REFUSED
    except (OSError, RuntimeError) as exc:
        print(f"promobot board cannot start: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    except KeyboardInterrupt:
        return ExitCode.OK
    finally:
        if prometheus is not None:
            prometheus.stop()
    return ExitCode.OK
