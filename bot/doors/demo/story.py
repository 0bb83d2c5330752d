"""`promobot demo`: the whole story on a local SQLite registry, through the same service
the Slack and GitHub doors use. Nothing here is faked: real training, a real registry,
real policy decisions, predictions loaded from `models:/sentiment-classifier/Production`
(with --aliases-only, in a registry without stages: `models:/sentiment-classifier@production`).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.app import build_registration, build_service, current_tracking_uri
from bot.config import Settings
from bot.core.commands import parse
from bot.core.policy import PolicyError
from bot.core.ports.registry import RegistryError
from bot.core.service import Context, Service
from bot.doors.common import registry_exit
from bot.doors.demo.board_line import board_command, board_policy
from bot.doors.demo.watch import show_watch, watched_policy
from bot.render.message import to_text

if TYPE_CHECKING:
    from bot.core.ports.registry import VersionInfo
    from bot.core.service import Service
    from bot.core.service.registration import Registration

MODEL = "sentiment-classifier"
REPO = Path(__file__).resolve().parents[3]  # bot/doors/demo/ → the checkout
SAMPLES = [
    "Absolutely loved it, works perfectly and arrived early",
    "Terrible quality, it broke after two days and support never answered",
    "Not bad at all, I would buy it again",
]


def run_demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="promobot demo", description=__doc__)
    parser.add_argument(
        "--dir",
        default="demo-registry",
        help="where the SQLite registry and artifacts go (recreated)",
    )
    parser.add_argument(
        "--policy",
        default=None,
        help="policy file or folder (default: the repository's policies/, or "
        "policies/aliases-only/ with --aliases-only)",
    )
    parser.add_argument(
        "--aliases-only",
        action="store_true",
        help="the same story in a registry without stages (`registry: {stages: false}`): "
        "every target an alias, no stage ever moved, deployment code loading "
        f"models:/{MODEL}@production",
    )
    args = parser.parse_args(argv)
    if problem := _missing_parts():
        print(f"promobot demo: {problem}", file=sys.stderr)
        return 1
    policy = args.policy or str(REPO / "policies" / ("aliases-only" if args.aliases_only else ""))
    return Demo(Path(args.dir).resolve(), policy, aliases_only=args.aliases_only).run()


def _missing_parts() -> str:
    """What this installation lacks for the demo, in one sentence; "" when nothing."""
    if find_spec("sklearn") is None or find_spec("sqlalchemy") is None:
        return (
            "the demo trains the example model on a local SQLite registry, which needs "
            "scikit-learn and the full MLflow: install promobot[examples] "
            "(pip install 'promobot[examples]'), or run `make demo` in a clone."
        )
    if not (REPO / "examples" / "sentiment_classifier").is_dir():
        return "the demo trains examples/sentiment_classifier: run `make demo` in a clone."
    return ""


@dataclass(frozen=True)
class Words:
    """What the story names its targets and what deployment code loads, in a registry with
    stages or in one without (`--aliases-only`)."""

    staging: str = "staging"  # as typed
    production: str = "production"
    staging_label: str = "Staging"  # as shown
    production_label: str = "Production"
    in_staging: str = "in Staging"
    in_production: str = "in Production"
    serving: str = f"models:/{MODEL}/Production"


ALIASES_ONLY = Words(
    "@staging",
    "@production",
    "@staging",
    "@production",
    "on @staging",
    "on @production",
    f"models:/{MODEL}@production",
)


class Demo:
    def __init__(self, where: Path, policy_path: str, *, aliases_only: bool = False) -> None:
        self.where = where
        self.policy_path = policy_path
        self.aliases_only = aliases_only
        self.words = ALIASES_ONLY if aliases_only else Words()
        self.step = 0
        self.uri = f"sqlite:///{where / 'mlflow.db'}"
        self.runs: list[str] = []  # the training runs, registered again by the watch part
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.trusted = ""  # the public key deployment code trusts (set by run)

    def say(self, text: str) -> None:
        print(text, flush=True)

    def section(self, title: str) -> None:
        self.step += 1
        self.say(f"\n── {self.step}. {title} " + "─" * max(0, 66 - len(title)))

    def command(self, service: Service, actor: str, text: str) -> object:
        """Type a command as a person would, and print what they would see."""
        return _Runner(self, service)(actor, text)

    def run(self) -> int:
        if self.where.exists():
            shutil.rmtree(self.where)
        self.where.mkdir(parents=True)
        self.say(f"promobot demo: a fresh MLflow registry at {self.uri}")
        # MLflow's own INFO lines (database migrations, model logging) drown the story.
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
        logging.getLogger("mlflow").setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="mlflow")
        self.say("(loading MLflow and scikit-learn…)")
        # The example's `train` logs to MLflow's current registry: the story's, for as
        # long as it runs, whatever an earlier caller in this process set.
        with current_tracking_uri(self.uri):
            return self._run(self.uri)

    def _run(self, uri: str) -> int:
        # A throwaway registry: its story is not announced in a real Slack, whatever the
        # environment holds.
        # promobot's keys (docs/contract.md, "Receipts and keys"): it signs its records and
        # each receipt; the demo's deployment code trusts the public key.
        self.trusted = self._keys()
        settings = Settings(
            mlflow_tracking_uri=uri,
            promobot_policy=self.policy_path,
            slack_bot_token=None,
            promobot_signing_key=SecretStr(str(self.where / "keys" / "promobot-signing.pem")),
        )
        try:
            service = build_service(settings, clock=lambda: self.clock())
        except PolicyError as exc:
            self.say(f"The policy files are invalid:\n{exc}")
            return 1
        registration = build_registration(settings)
        try:
            self._train_and_register(registration)
            return self._story(service, registration)
        except RegistryError as exc:
            self.say(f"MLflow failed: {exc}")
            return registry_exit(exc)

    def _keys(self) -> str:
        """A signing key of the demo's own (as `promobot keys generate` makes one); the
        path of its public half, which deployment code trusts."""
        from promobot.keys import new_key, private_pem, public_pem

        folder = self.where / "keys"
        folder.mkdir()
        key = new_key()
        (folder / "promobot-signing.pem").write_text(private_pem(key))
        (folder / "promobot-signing.pem").chmod(0o600)
        (folder / "promobot-signing.pub.pem").write_text(public_pem(key))
        return str(folder / "promobot-signing.pub.pem")

    def _train_and_register(self, registration: Registration) -> None:
        # The example model lives beside the package in the repository.
        if str(REPO) not in sys.path:
            sys.path.insert(0, str(REPO))
        from examples.sentiment_classifier.train import train

        registration.ensure_experiment(MODEL, (self.where / "artifacts").as_uri())

        self.section("Train two versions of the example model (TF-IDF + logistic regression)")
        started = time.monotonic()
        first = train(
            c=0.3,
            max_features=300,
            ngram_max=1,
            run_name="v1-baseline",
            experiment=MODEL,
            progress=lambda s: self.say(f"   v1: {s}"),
        )
        second = train(
            c=4.0,
            max_features=5000,
            ngram_max=2,
            run_name="v2-bigrams",
            experiment=MODEL,
            progress=lambda s: self.say(f"   v2: {s}"),
        )
        self.say(f"   trained both in {time.monotonic() - started:.1f}s")
        for label, res in (("v1", first), ("v2", second)):
            shown = ", ".join(f"{k} {v:.3f}" for k, v in sorted(res.metrics.items()))
            self.say(f"   {label}: {shown}")

        self.section("Register them (what the train-and-register action does on merge)")
        for res in (first, second):
            tags = {"git_commit": "demo", "registered_by": "promobot demo"}
            mv = registration.register(MODEL, str(res.run_id), "model", tags, {})
            if isinstance(mv, str):
                raise SystemExit(f"demo: {mv}")
            self.say(f"   registered {MODEL} v{mv.version} from run {res.run_id[:8]}")
            self.runs.append(str(res.run_id))

    def _story(self, service: Service, registration: Registration) -> int:
        from examples.sentiment_classifier.predict import predict

        run = _Runner(self, service)
        w = self.words
        if self.aliases_only:
            self.say(
                f"\n   The policy says `registry: {{stages: false}}`: every target is an alias, "
                f"promobot moves no stage,\n   and deployment code loads {w.serving}."
            )

        self.section(f"bob puts v1 {w.in_staging} (no approval needed)")
        run("slack:U01BOB", f"promote {MODEL} v1 {w.staging} first candidate")

        self.section(f"bob asks for {w.production_label}: the policy wants a lead's approval")
        asked = f"promote {MODEL} v1 {w.production} passed offline eval"
        result = run("slack:U01BOB", asked, allow_refusal=True)
        if result.status == "refused" and any(
            c.name == "freeze" and c.status == "fail" for c in result.checks
        ):
            self._leave_freeze()
            result = run("slack:U01BOB", asked)
        request_id = result.request_id

        self.section("bob tries to approve his own request from GitHub: refused")
        run("github:bob", f"approve {request_id}", allow_refusal=True)

        self.section("alice (ml-leads) approves from GitHub: v1 goes live")
        run("github:alice", f"approve {request_id} looks good")
        self._predict(predict, "v1")

        self.section(
            f"v2 goes through {w.staging_label} to {w.production_label}; v1 {self._moved_out()}"
        )
        run("slack:U01BOB", f"promote {MODEL} v2 {w.staging} bigram features")
        pending = run("slack:U01BOB", f"promote {MODEL} v2 {w.production} better F1 on holdout")
        run("slack:U01ALICE", f"approve {pending.request_id}")
        self._predict(predict, "v2")

        self.section("03:00, latency alarm: carol (on-call) rolls back in one command")
        run("slack:U01CAROL", f"rollback {MODEL} p99 latency doubled after v2")
        self._predict(predict, "v1")

        self.section("What the registry holds now")
        run("cli:demo", f"status {MODEL}")
        run("cli:demo", f"history {MODEL}")
        versions = service.versions(MODEL)
        self.table(versions)
        if self.aliases_only:
            self._no_stage_moved(versions)

        watched = show_watch(self, registration)

        self.say("\nDone. Open the result in the MLflow UI with:")
        self.say(f"   .venv/bin/mlflow ui --backend-store-uri sqlite:///{self.where}/mlflow.db")
        models = "sentiment-classifier" + (" and sentiment-watched" if watched else "")
        self.say(
            f"and look at Models → {models}: the tags and descriptions of v1 "
            "and v2 are the audit trail."
        )
        self.say("Check what deployment code would load (the receipt, the files) with:")
        self.say(
            f"   MLFLOW_TRACKING_URI={self.uri} PROMOBOT_TRUSTED_KEYS={self.trusted} "
            f".venv/bin/promobot verify-load models:/{MODEL}/Production"
        )
        policy = board_policy(
            self.policy_path, watched_policy(self.aliases_only), self.where / "board-policy.yaml"
        )
        self.say(
            "Open the release board (every model, its timeline, the watched promotion's chart):"
        )
        self.say(f"   {board_command(self.where, self.uri, policy, watched=watched)}")
        self.say("   then http://127.0.0.1:8088/releases in a browser")
        return 0

    def _moved_out(self) -> str:
        return "leaves @production" if self.aliases_only else "is archived"

    def _no_stage_moved(self, versions: list[VersionInfo]) -> None:
        moved = [f"v{mv.version} ({mv.stage})" for mv in versions if mv.stage != "None"]
        if moved:
            raise SystemExit(f"demo: a stage moved in a registry without stages: {moved}")
        self.say("\n   every version's stage is still None: promobot moved no stage")

    def _leave_freeze(self) -> None:
        """The example policy freezes Friday evenings (Berlin). A demo run then shows the
        refusal, and continues on a clock set to the next Monday morning."""
        berlin = ZoneInfo("Europe/Berlin")
        now = datetime.now(berlin)
        monday = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        offset = monday - now
        self.clock = lambda: datetime.now(UTC) + offset
        self.say(
            f"   (the freeze is real and in force now; the demo continues as if it were "
            f"{monday:%A %Y-%m-%d %H:%M %Z})"
        )

    def _predict(self, predict: Callable[..., list[int]], expect: str) -> None:
        from examples.sentiment_classifier.predict import serving_version
        from promobot.serving import verify

        uri = self.words.serving
        labels = predict(SAMPLES, uri, trusted_keys=self.trusted)
        served = serving_version(uri)
        self.say(f"   deployment code loads {uri}: the registry serves v{served}")
        checked = verify(uri, trusted_keys=self.trusted).receipt
        approvers = ", ".join(a["person"] for a in checked["approved_by"])
        approved = f"approved by {approvers}" if approvers else "no approval needed"
        self.say(
            f"   its receipt checks: v{checked['version']} → {checked['target']} asked by "
            f"{checked['requested_by']['person']}, {approved}, signed by key "
            f"{checked['sig']['kid']}"
        )
        if f"v{served}" != expect:
            raise SystemExit(f"demo: expected {expect} {self.words.in_production}, found v{served}")
        for text, label in zip(SAMPLES, labels, strict=True):
            self.say(f"     {'positive' if label == 1 else 'negative':8}  {text}")

    def table(self, versions: list[VersionInfo]) -> None:
        rows = [["version", "stage", "aliases", "promoted_to", "requested_by", "approved_by"]]
        for mv in versions:
            tags = mv.tags
            rows.append(
                [
                    f"v{mv.version}",
                    mv.stage,
                    " ".join(sorted(f"@{a}" for a in mv.aliases)) or "—",
                    tags.get("promoted_to", "—"),
                    tags.get("requested_by", "—"),
                    tags.get("approved_by", "") or "—",
                ]
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        self.say("")
        for n, row in enumerate(rows):
            self.say("   " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
            if n == 0:
                self.say("   " + "  ".join("-" * w for w in widths))
        for mv in versions:
            if mv.description:
                self.say(f"\n   v{mv.version} description:")
                for line in mv.description.splitlines():
                    self.say(f"     {line}")


class _Runner:
    """Types a command as a person would, prints what they would see."""

    def __init__(self, demo: Demo, service: object) -> None:
        self.demo = demo
        self.service = service

    def __call__(self, actor: str, text: str, *, allow_refusal: bool = False) -> object:

        assert isinstance(self.service, Service)
        self.demo.say(f"\n   {actor} › /{text}")
        parsed = parse(text)
        assert parsed.command is not None, parsed.reply
        channel = actor.split(":", 1)[0] if ":" in actor else "cli"
        result = self.service.handle(parsed.command, Context(actor=actor, channel=channel))
        for line in to_text(result).splitlines():
            self.demo.say(f"     {line}" if line else "")
        if result.status == "refused" and not allow_refusal:
            raise SystemExit(f"demo: unexpected refusal: {result.reasons}")
        return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_demo(sys.argv[1:]))
