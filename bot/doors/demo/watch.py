"""The demo's last part: promobot watching a promotion, and rolling a bad version back on
its own (docs/verification.md).

With a `prometheus` binary on PATH it starts a small exporter (it plays the model server)
and a Prometheus scraping it every second, both on 127.0.0.1 on free ports, Prometheus in
a temporary folder of its own; promotes v1 then v2 of `sentiment-watched` onto production
under a policy of its own (examples/sentiment_classifier/watched-policy.yaml, `verify:`
every 1s, 2 failures in a row); makes the exporter report a bad error rate for v2; and
runs the pass `promobot verify` runs, once a second, until promobot has rolled v2 back.
It runs in real time on the demo's clock: `every: 1s` is a real second, and two failed
runs take two passes. Prometheus and the exporter are stopped whatever happens (Ctrl-C
included). Without the binary it says in one line how to see it; a Prometheus that does
not start is one line too, and the rest of the demo stands.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.app import build_service
from bot.config import Settings
from bot.doors.cli.verify import outcome_line
from bot.doors.demo.local_prometheus import Exporter, PrometheusServer, prometheus_binary

if TYPE_CHECKING:
    from bot.core.ports.registry import VersionInfo
    from bot.core.service import Service
    from bot.core.service.registration import Registration

WATCHED = "sentiment-watched"
REPO = Path(__file__).resolve().parents[3]  # bot/doors/demo/ → the checkout
POLICY = REPO / "examples" / "sentiment_classifier" / "watched-policy.yaml"
# The same, in a registry without stages (`promobot demo --aliases-only`).
ALIASES_POLICY = POLICY.with_name("watched-policy-aliases-only.yaml")
GOOD, BAD = 0.004, 0.071
ERROR_RATE = 'model_error_rate{{model="{model}",version="{version}"}}'
MAX_PASSES = 30  # one a second: the 2 failed runs it needs, with room for a slow machine
HOW_TO_SEE = (
    "install Prometheus (apt-get install prometheus) and run make demo again to see "
    "promobot roll a bad version back on its own"
)
NO_CLIENT = (
    "install promobot with its dev extras (pip install -e '.[dev]', as make demo does) to "
    "see promobot roll a bad version back on its own: the exporter needs prometheus-client"
)


def watched_policy(aliases_only: bool) -> Path:
    """The watched model's policy file, in a registry with stages or without."""
    return ALIASES_POLICY if aliases_only else POLICY


class DemoSteps(Protocol):
    """What the watch part needs of the demo (bot/doors/demo/story.py)."""

    uri: str
    where: Path
    runs: list[str]
    clock: Callable[[], datetime]
    aliases_only: bool

    def say(self, text: str) -> None: ...

    def section(self, title: str) -> None: ...

    def command(self, service: Service, actor: str, text: str) -> object: ...

    def table(self, versions: list[VersionInfo]) -> None: ...


def show_watch(demo: DemoSteps, registration: Registration) -> bool:
    """The watch part (True: shown), or the one line that says why not."""
    if prometheus_binary() is None:
        demo.say(f"\n{HOW_TO_SEE}")
        return False
    try:
        import prometheus_client  # noqa: F401  (the exporter's; a dev dependency)
    except ImportError:
        demo.say(f"\n{NO_CLIENT}")
        return False
    # Kept beside the registry: `promobot board --prometheus-data` charts it afterwards.
    folder = demo.where / "prometheus"
    exporter: Exporter | None = None
    server = PrometheusServer(folder, [])
    try:
        try:
            exporter = Exporter()
            server.targets.append(exporter.address)
            server.start()
        except (RuntimeError, OSError) as exc:
            # Its log's last line says why.
            why = server.last_log_line() or str(exc)
            demo.say(
                f"\nPrometheus did not start ({why}), so the demo skips promobot rolling "
                "a bad version back on its own."
            )
            return False
        return _Watch(demo, exporter, server).run(registration)
    finally:
        server.stop()
        if exporter is not None:
            exporter.stop()


class _Watch:
    def __init__(self, demo: DemoSteps, exporter: Exporter, server: PrometheusServer) -> None:
        self.demo = demo
        self.exporter = exporter
        self.server = server

    def run(self, registration: Registration) -> bool:
        """The story; False when Prometheus let it down half way (said in one line)."""
        demo = self.demo
        demo.section("promobot watches production and rolls a bad version back on its own")
        demo.say(
            f"   a Prometheus on {self.server.url} scrapes, every second, a small exporter on "
            f"{self.exporter.address}\n   that plays the model server: "
            "model_error_rate{model, version}"
        )
        service = self._service()
        for run_id in demo.runs:
            tags = {"git_commit": "demo", "registered_by": "promobot demo"}
            mv = registration.register(WATCHED, run_id, "model", tags, {})
            if isinstance(mv, str):
                raise SystemExit(f"demo: {mv}")
        demo.say(f"   registered {WATCHED} v1 and v2 from the same two runs")
        demo.say(f"   its policy, {self._policy().relative_to(REPO)}:")
        demo.command(service, "cli:demo", f"policy {WATCHED}")

        target = "@production" if demo.aliases_only else "production"
        self.exporter.set(WATCHED, 1, error_rate=GOOD)
        demo.command(service, "slack:U01BOB", f"promote {WATCHED} v1 {target} first release")
        demo.command(service, "slack:U01BOB", f"promote {WATCHED} v2 {target} bigram features")
        self.exporter.set(WATCHED, 2, error_rate=BAD)
        turned_bad = time.monotonic()
        demo.say(f"\n   v2 serves and goes wrong: the model server reports error rate {BAD}")
        try:
            self.server.wait_for(ERROR_RATE.format(model=WATCHED, version=2), BAD, timeout=15)
        except (RuntimeError, OSError) as exc:
            demo.say(f"   Prometheus did not show it ({exc}); the demo stops watching here.")
            return False
        demo.say("   Prometheus has scraped it; promobot's verification pass runs once a second:")
        self._passes(service)
        demo.say(
            f"   rolled back {time.monotonic() - turned_bad:.1f}s after the exporter turned "
            "bad, with nobody typing a thing"
        )
        demo.command(service, "cli:demo", f"history {WATCHED} --limit 3")
        versions = service.versions(WATCHED)
        demo.table(versions)
        bad = next(v for v in versions if v.version == 2).tags
        demo.say(
            f"\n   v2's tags: verification = {bad.get('verification')}, "
            f"verification_figures = {bad.get('verification_figures')}, "
            f"rolled_back_by = {bad.get('rolled_back_by')}"
        )
        demo.say(
            "\n   v1 is watched in turn: a rollback onto a watched target starts a "
            f"verification too (`promobot status {WATCHED}` shows it)."
        )
        return True

    def _service(self) -> Service:

        demo = self.demo
        settings = Settings(
            mlflow_tracking_uri=demo.uri,
            promobot_policy=str(self._policy()),
            promobot_prometheus_url=self.server.url,
            slack_bot_token=None,
        )
        return build_service(settings, clock=lambda: demo.clock())

    def _policy(self) -> Path:
        return watched_policy(self.demo.aliases_only)

    def _passes(self, service: Service) -> None:

        for n in range(1, MAX_PASSES + 1):
            report = service.verify()
            for outcome in report.outcomes:
                self.demo.say(f"   promobot verify, pass {n}: {outcome_line(outcome)}")
            if report.failed:
                return
            time.sleep(1.0)  # the policy's `every: 1s`
        raise SystemExit(f"demo: {WATCHED} v2 was not rolled back in {MAX_PASSES} passes")
