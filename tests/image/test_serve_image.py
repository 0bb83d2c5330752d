"""The serve image, run as a platform runs it, against a real MLflow server with
promobot's guard on this host.

The container runs as the image's own user, on a read-only root filesystem with only /tmp
writable, with every capability dropped and no new privileges, the policy mounted
read-only: what deploy/kubernetes/ asks of a pod. It shares the host's network, to reach
the MLflow server and the fake Slack Web API this test starts on 127.0.0.1. Through it: a
signed slash command is carried out, a delivery MLflow itself makes is verified and
acted on, and SIGTERM with a command in flight stops it within 10 s, the command
finished.

The MLflow server runs `--app-name promobot-guard` wherever the installed promobot has that
app (the `mlflow.app` entry point), else MLflow's basic-auth, which the guard is built on;
PROMOBOT_IMAGE_TEST_MLFLOW_APP names another.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_slack import FakeSlack, slack_signature
from podman_image import MEASURED, Image, podman
from servers import MlflowServer
from slack_door import command_body

from promobot.keys import new_key, private_pem, public_keys, public_pem
from promobot.signatures import verify

pytestmark = pytest.mark.server

GUARD = "promobot-guard"
ADMIN = ("admin", "admin-" + secrets.token_hex(12))
BOT = ("promobot", "promobot-" + secrets.token_hex(12))
CI = ("promobot-ci", "ci-" + secrets.token_hex(12))
SLACK_SECRET = secrets.token_hex(16)
WEBHOOK_SECRET = secrets.token_hex(24)
# serve signs what it writes (the receipt issue): the key on one line, as an env file holds
# it; it also proves the image carries the `promobot` package next to `bot`.
SIGNING_KEY = new_key()
MODEL = "sentiment-classifier"
SERVICE_POLICY = Path(__file__).resolve().parents[1] / "fixtures" / "service_policy.yaml"
CHANNEL = "C0RELEASES"
UID = 10001
READY_WITHIN_S = 10.0
STOP_WITHIN_S = 10.0


def mlflow_app() -> str:
    """promobot's guard where the installed promobot has it, else MLflow's basic-auth."""
    if chosen := os.environ.get("PROMOBOT_IMAGE_TEST_MLFLOW_APP"):
        return chosen
    return GUARD if GUARD in {ep.name for ep in entry_points(group="mlflow.app")} else "basic-auth"


class Credentials:
    """MLflow credentials for the code inside (MlflowClient reads them per request)."""

    def __init__(self, who: tuple[str, str]) -> None:
        self.env = {"MLFLOW_TRACKING_USERNAME": who[0], "MLFLOW_TRACKING_PASSWORD": who[1]}

    def __enter__(self) -> None:
        self.saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)

    def __exit__(self, *exc: object) -> None:
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def until(check: Callable[[], Any], what: str, serve: Serve, timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, (
                f"not within {timeout:.0f} s: {what}; serve's log:\n{serve.logs()[-3000:]}"
            )
            return value
        time.sleep(0.2)


# ---- the scene: policy, MLflow with the guard, the fake Slack ------------------------------


@pytest.fixture(scope="module")
def policy_dir(workdir: Path) -> Path:
    """The service tests' policy without its Friday freeze (this runs on the real clock)."""
    data = yaml.safe_load(SERVICE_POLICY.read_text())
    for entry in data["models"]:
        for rule in entry["targets"].values():
            rule.pop("freeze", None)
    folder = workdir / "policies"
    folder.mkdir()
    (folder / "policy.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    folder.chmod(0o755)
    (folder / "policy.yaml").chmod(0o644)
    return folder


@pytest.fixture(scope="module")
def mlflow(workdir: Path, policy_dir: Path) -> Iterator[MlflowServer]:
    from cryptography.fernet import Fernet

    ini = workdir / "auth.ini"
    ini.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{workdir / 'auth.db'}\n"
        f"admin_username = {ADMIN[0]}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        # Each request's password check costs a PBKDF2 hash; a promotion makes dozens.
        "auth_cache_ttl_seconds = 60\n"
    )
    server = MlflowServer(
        backend_uri=f"sqlite:///{workdir / 'mlflow.db'}",
        workdir=workdir,
        extra_args=("--app-name", mlflow_app()),
        env={
            "MLFLOW_AUTH_CONFIG_PATH": str(ini),
            "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN[1],
            "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(16),
            "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
            "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
            "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            # The guard's settings (basic-auth ignores them).
            "PROMOBOT_POLICY": str(policy_dir),
            "PROMOBOT_SERVICE_USERS": BOT[0],
        },
    )
    server.start()
    try:
        with Credentials(ADMIN):
            from mlflow.server import get_app_client

            auth = get_app_client("basic-auth", tracking_uri=server.url)
            auth.create_user(username=BOT[0], password=BOT[1])
            auth.create_user(username=CI[0], password=CI[1])
            role = auth.create_role("default", "promobot-bot")
            auth.add_role_permission(role.id, "registered_model", "*", "MANAGE")
            auth.assign_role(BOT[0], role.id)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture(scope="module")
def serve_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def webhook_installed(image: Image, mlflow: MlflowServer, serve_port: int) -> str:
    """`promobot webhooks install`, run from the image with the admin's credentials, before
    any version exists (MLflow caches its webhooks per event for a minute)."""
    done = podman(
        *("run", "--rm", "--network", "host", "--read-only", "--cap-drop", "all"),
        *("-e", f"MLFLOW_TRACKING_URI={mlflow.url}"),
        *(
            "-e",
            f"MLFLOW_TRACKING_USERNAME={ADMIN[0]}",
            "-e",
            f"MLFLOW_TRACKING_PASSWORD={ADMIN[1]}",
        ),
        *("-e", f"PROMOBOT_MLFLOW_WEBHOOK_SECRET={WEBHOOK_SECRET}"),
        *("-e", "MLFLOW_DISABLE_TELEMETRY=true"),
        image.name,
        *("webhooks", "install", "--url", f"http://127.0.0.1:{serve_port}/mlflow/webhook"),
    )
    return done.stdout


class Versions:
    """The registry as CI's account sees it: it registers versions backed by runs with
    metrics, as training would, and reads what promobot wrote."""

    def __init__(self, url: str) -> None:
        from mlflow import MlflowClient

        self.client = MlflowClient(tracking_uri=url)
        self.experiment = ""

    def register(self, model: str, **metrics: float) -> int:
        with Credentials(CI):
            if not self.experiment:
                self.experiment = self.client.create_experiment("image-test")
            run = self.client.create_run(self.experiment)
            for key, value in metrics.items():
                self.client.log_metric(run.info.run_id, key, value)
            self.client.set_terminated(run.info.run_id)
            if not self.client.search_registered_models(f"name = '{model}'"):
                self.client.create_registered_model(model)
            made = self.client.create_model_version(
                model, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
            )
            return int(made.version)

    def version(self, model: str, version: int) -> Any:
        with Credentials(CI):
            return self.client.get_model_version(model, str(version))


@pytest.fixture(scope="module")
def versions(mlflow: MlflowServer, webhook_installed: str) -> Versions:
    """Two versions of the model, registered after the webhook was installed."""
    registry = Versions(mlflow.url)
    registry.register(MODEL, accuracy=0.91, f1=0.874)
    registry.register(MODEL, accuracy=0.93, f1=0.890)
    return registry


# ---- the container ---------------------------------------------------------------------------


class Serve:
    def __init__(self, name: str, port: int) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ready_in_s: float | None = None

    def logs(self) -> str:
        done = podman("logs", self.name, check=False)
        return done.stdout + done.stderr

    def state(self) -> dict[str, Any]:
        import json

        return json.loads(podman("inspect", self.name).stdout)[0]["State"]

    def exec(self, *args: str) -> Any:
        return podman("exec", self.name, *args, check=False)

    def slash(self, user: str, text: str, key: str, fake: FakeSlack) -> int:
        body = command_body(user, "/promobot", text, fake.response_url(key))
        stamp = str(int(time.time()))
        request = urllib.request.Request(
            f"{self.url}/slack/events",
            data=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": slack_signature(SLACK_SECRET, stamp, body),
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status


def healthz(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
            return resp.status
    except (urllib.error.URLError, OSError):
        return 0


@pytest.fixture(scope="module")
def serve(
    image: Image,
    mlflow: MlflowServer,
    fake: FakeSlack,
    policy_dir: Path,
    serve_port: int,
    versions: Versions,
) -> Iterator[Serve]:
    container = Serve(f"promobot-image-test-{os.getpid()}", serve_port)
    env = {
        "PORT": str(serve_port),
        "MLFLOW_TRACKING_URI": mlflow.url,
        "MLFLOW_TRACKING_USERNAME": BOT[0],
        "MLFLOW_TRACKING_PASSWORD": BOT[1],
        "SLACK_BOT_TOKEN": "xoxb-image-test",
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_API_URL": fake.api_url,
        "PROMOBOT_SLACK_CHANNEL": CHANNEL,
        "PROMOBOT_MLFLOW_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PROMOBOT_AUDIT_SECONDS": "0",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PROMOBOT_SIGNING_KEY": private_pem(SIGNING_KEY).strip().replace("\n", "\\n"),
    }
    args = [
        *("run", "--detach", "--name", container.name, "--network", "host"),
        *("--read-only", "--tmpfs", "/tmp:rw,nosuid,nodev,size=64m"),
        *("--cap-drop", "all", "--security-opt", "no-new-privileges"),
        *("--volume", f"{policy_dir}:/etc/promobot/policies:ro"),
        *[arg for key, value in env.items() for arg in ("--env", f"{key}={value}")],
        image.name,
        *("serve", "--host", "127.0.0.1"),
    ]
    started = time.monotonic()
    podman(*args)
    try:
        while not healthz(container.url):
            if time.monotonic() - started > 60:
                raise AssertionError(f"/healthz never answered:\n{container.logs()[-4000:]}")
            if not container.state()["Running"]:
                raise AssertionError(f"the container exited:\n{container.logs()[-4000:]}")
            time.sleep(0.05)
        container.ready_in_s = time.monotonic() - started
        MEASURED["ready in"] = f"{container.ready_in_s:.1f} s (podman run → /healthz 200)"
        yield container
    finally:
        podman("rm", "--force", "--time", "0", container.name, check=False)


# ---- the tests, in the order a platform would check them ------------------------------------


def test_the_image_is_small_labelled_and_declares_its_health_check(image: Image) -> None:
    info = image.inspect()
    size_mb = int(info["Size"]) / 1e6
    config = info["Config"]
    labels = config.get("Labels") or {}
    MEASURED["image"] = f"{image.name}, {size_mb:.0f} MB"
    assert size_mb <= 450, f"{size_mb:.0f} MB"
    assert config["User"] == f"{UID}:{UID}"
    assert config["Entrypoint"] == ["promobot"] and config["Cmd"] == ["serve"]
    for key in ("source", "version", "revision"):
        assert labels.get(f"org.opencontainers.image.{key}", "unknown") != "unknown", key
    health = info.get("Healthcheck") or config.get("Healthcheck") or {}
    assert "/healthz" in " ".join(health.get("Test", [])), info.keys()


def test_it_holds_neither_tests_nor_caches_nor_this_machines_ca(image: Image) -> None:
    site = "/opt/promobot/lib/python3.11/site-packages"
    unwanted = [
        f"{site}/tests",  # promobot's tests, examples and build inputs
        f"{site}/examples",
        "/src",
        "/wheels",  # the wheelhouse, pip and its caches
        f"{site}/pip",
        "/root/.cache",
        "/tmp/.cache",
        "/opt/build",
    ]
    found = podman(
        *("run", "--rm", "--network", "none", "--entrypoint", "sh", image.name, "-c"),
        f"ls -d {' '.join(unwanted)} 2>/dev/null; find /opt /tmp -name '*.whl' -o -name "
        "'test_*.py' -path '*/site-packages/bot/*'; echo; cat /etc/ssl/certs/ca-certificates.crt"
        " | tr -d '\\n'",
    ).stdout
    listed, bundle = found.rsplit("\n", 1) if "\n" in found else ("", found)
    assert listed.strip() == ""
    for extra in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        body = "".join(
            line for line in extra.read_text().splitlines() if not line.startswith("-----")
        )
        assert body[:200] not in bundle, f"{extra.name} is in the image's CA bundle"
    sizes = podman(
        *("run", "--rm", "--network", "none", "--entrypoint", "sh", image.name, "-c"),
        "du -smx / | cut -f1; du -sm /opt/promobot | cut -f1;"
        f" du -sm {site}/* | sort -rn | head -5",
    ).stdout.split("\n")
    whole, venv = int(sizes[0]), int(sizes[1])
    top = ", ".join(
        f"{Path(p).name} {mb}" for mb, p in (line.split("\t") for line in sizes[2:] if line)
    )
    MEASURED["what weighs"] = (
        f"the base {whole - venv} MB; promobot and its dependencies {venv} MB, of which {top} MB"
    )


def test_it_starts_as_non_root_on_a_read_only_root_filesystem(serve: Serve) -> None:
    assert serve.ready_in_s is not None and serve.ready_in_s <= READY_WITHIN_S
    assert serve.exec("id", "-u").stdout.strip() == str(UID)
    written = serve.exec("sh", "-c", "touch /opt/promobot/x || touch /etc/x || touch /x")
    assert written.returncode != 0 and "Read-only file system" in written.stderr
    assert serve.exec("sh", "-c", "touch /tmp/x && rm /tmp/x").returncode == 0
    # The health check the image declares passes.
    assert podman("healthcheck", "run", serve.name, check=False).returncode == 0


def test_a_signed_slash_command_is_carried_out(
    serve: Serve, fake: FakeSlack, versions: Versions
) -> None:
    assert serve.slash("U01BOB", f"promote {MODEL} v1 staging first cut", "first", fake) == 200
    # The outcome is posted in the channel (and the request's own answer, where it waits).
    until(
        lambda: [call for call in fake.calls if f"{MODEL} v1 → Staging done" in call.text],
        "the outcome is posted",
        serve,
    )
    promoted = versions.version(MODEL, 1)
    assert promoted.current_stage == "Staging"
    assert promoted.tags["requested_by"] == "bob@example.com"
    # The receipt is signed with the container's key, and checks against its public half.
    receipt = json.loads(promoted.tags["promobot.receipt.Staging"])
    assert verify(receipt, public_keys(public_pem(SIGNING_KEY))) == ""
    assert (receipt["model"], receipt["version"]) == (MODEL, 1)


def test_an_mlflow_webhook_delivery_is_accepted(serve: Serve, versions: Versions) -> None:
    version = versions.register(MODEL, accuracy=0.94, f1=0.9)
    pattern = rf"mlflow webhook (\S+): model_version\.created: {MODEL} v{version} announced"
    found = until(lambda: re.search(pattern, serve.logs()), "serve takes MLflow's delivery", serve)
    assert re.search(
        rf"mlflow webhook {found.group(1)}: model_version\.created verified", serve.logs()
    )


def test_sigterm_stops_it_within_10_s_with_the_command_in_flight_finished(
    serve: Serve, fake: FakeSlack, versions: Versions
) -> None:
    assert serve.slash("U01BOB", f"promote {MODEL} v2 staging retrained", "last", fake) == 200
    started = time.monotonic()
    podman("stop", "--time", "30", serve.name, timeout=60)
    took = time.monotonic() - started
    state = serve.state()
    MEASURED["stopped in"] = f"{took:.1f} s after SIGTERM, exit status {state['ExitCode']}"
    assert took <= STOP_WITHIN_S and state["ExitCode"] == 0, serve.logs()[-3000:]
    # The command acknowledged before SIGTERM was carried out, and its outcome posted.
    assert versions.version(MODEL, 2).current_stage == "Staging", serve.logs()[-3000:]
    assert versions.version(MODEL, 1).current_stage == "Archived"
    assert [call for call in fake.calls if f"{MODEL} v2 → Staging done" in call.text]
