"""Receipts' costs (`python -m bench --only receipts`): loading through the receipt check,
and signing's cost per command.

One `mlflow server` (SQLite; it serves the artifacts from its workdir) and one Ed25519 key
pair made for the run. Registered through MLflow's client as a user would log them:

    bench-receipts-50mb   one version: a `mlflow.pyfunc.PythonModel` whose artifact is a
                          50 MB numpy array (random, so nothing compresses it), which its
                          load_context reads; promoted to Production by promobot in this
                          process with the signing key (staging, a request, its approval)
    bench-receipts-off    twin models, four versions each (a small PythonModel, the same
    bench-receipts-on     files), driven by a Service without a key and one with the key

**load** (bench/receipts_load.py): each repeat loads `models:/bench-receipts-50mb/Production` with
`mlflow.pyfunc.load_model` and with `promobot.serving.load_model` (trusted_keys= the
public key), one after the other, the first alternating with the repeat, `rounds` times
(3; averaged), each into a fresh folder (both download the 50 MB), after a 0.2 s pause.
Beside them, promobot's steps timed alone: its reads (the registered model with its
records, the stage's holder, the version with its receipt), the receipt's checks in
process, its fetch (the download, the digest fed as the files arrive), and pyfunc loading
the folder; and, for what the fetch hides, MLflow's own download of the version and the
digest of that folder taken after it;
and the MLflow calls of each loader, counted once through a recording proxy
(bench/rest_calls.py), each as a fresh process makes them.

**commands**: promote (staging, no approval), request (production: pending), approve
(the approval that carries it out) and rollback (staging), on each twin, the unsigned one
first or second in turn (bench/policy.yaml's rules). Their MLflow calls are counted once
through the proxy, by endpoint; with the key, the calls made inside the artifact check
(`Registry.artifact_digest`, the files' download a signed request and execution make) are
recorded apart, and the receipt writes counted as the registry is asked for them, so
signed − unsigned − artifact check − receipt writes is what signing itself adds: the
target is none. While the calls are counted, MLflow's default tracking URI is the proxy
too, as MLFLOW_TRACKING_URI is promobot's registry in its own processes: the artifact
check resolves `models:/` through MLflow's default registry, not the adapter's URL.
Times: median ms each side, signed ÷ unsigned, signed − unsigned, and the time spent
inside the artifact check.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from bench import paths
from bench.env import PATIENT
from bench.receipts_load import (
    PAUSE_S,
    SIZE_MB,
    Rig,
    count_loads,
    default_uri,
    endpoint,
    load_parts,
    time_loads,
)
from bench.receipts_report import MODEL, calls_of, summarise_commands, summarise_loads
from bench.registry_bench import APPROVER, ONCALL, REQUESTER
from bench.replica_bench import worker_deaths
from bench.rest_calls import CountingProxy
from bench.stats import median

paths.add_tests()

from servers import MlflowServer  # noqa: E402  (tests/servers.py)

TWINS = {"unsigned": "bench-receipts-off", "signed": "bench-receipts-on"}
SIDES = tuple(TWINS)
COMMANDS = ("promote", "request", "approve", "rollback")
TWIN_KB = 64  # the twins' artifact: the artifact check's calls, not its bytes, matter here
STAGING_PAIR, PRODUCTION_PAIR = (1, 2), (3, 4)


def run(
    workdir: Path, *, repeats: int, rounds: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Both figures; the part's results (results["receipts"]). `rounds`: loads of each
    kind a repeat."""
    from bot.core.policy import load_policy

    policy = load_policy(paths.POLICY)
    with rig(workdir, policy, progress) as found:
        progress("receipts: counting the loaders' MLflow calls, timing the loads")
        calls = count_loads(found, workdir / "loads")
        loads = time_loads(found, workdir / "loads", repeats, rounds, progress)
        facts = {
            "files": found.files,
            "calls": calls,
            "parts_ms": load_parts(found, workdir / "loads", repeats),
            "loads_per_repeat": rounds,
        }
        progress("receipts: the commands' MLflow calls, unsigned and signed")
        counts = count_commands(found, policy)
        progress("receipts: timing the commands, unsigned and signed")
        seconds, checks = time_commands(found, policy, repeats, progress)
        part = {
            "load": summarise_loads(loads, facts),
            **summarise_commands(seconds, checks, counts),
            "twin_files": found.twin_files,
            "records": signed_records(found),
        }
    part["mlflow_worker_deaths"] = worker_deaths(workdir / "mlflow")
    return part


# ---- the rig -----------------------------------------------------------------------------


@contextmanager
def rig(workdir: Path, policy: Any, progress: Callable[[str], None]) -> Iterator[Rig]:
    """The server, the key pair, the three models; the 50 MB one in Production, signed."""
    import mlflow
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    where = workdir / "mlflow"
    server = MlflowServer(
        backend_uri=f"sqlite:///{where / 'mlflow.db'}",
        workdir=where,
        env={"PYTHONPATH": _pythonpath(), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        extra_args=PATIENT,
    )
    server.start(timeout=300)
    try:
        mlflow.set_tracking_uri(server.url)
        mlflow.set_experiment("bench-receipts")
        key = Ed25519PrivateKey.generate()
        private_pem, public_pem = _pems(key)
        progress(f"receipts: logging the {SIZE_MB} MB model and the twins")
        big = _log(MODEL, workdir / "weights.npy", SIZE_MB << 20)
        for model in TWINS.values():
            for _ in (*STAGING_PAIR, *PRODUCTION_PAIR):
                _log(model, workdir / "twin.npy", TWIN_KB << 10)
        signer = _service(server.url, policy, private_pem)
        for text, actor, status in (
            (f"promote {MODEL} v{big} staging bench", REQUESTER, "done"),
            (f"promote {MODEL} v{big} production bench", REQUESTER, "pending"),
        ):
            result = _handle(signer, text, actor, status)
        _handle(signer, f"approve {result.request_id} bench", APPROVER, "done")
        found = Rig(
            url=server.url,
            uri=f"models:/{MODEL}/Production",
            private_pem=private_pem,
            public_pem=public_pem,
            files=_files(workdir / "files-big", f"models:/{MODEL}/{big}", server.url),
            twin_files=_files(workdir / "files-twin", f"models:/{TWINS['signed']}/1", server.url),
        )
        yield found
    finally:
        server.stop()
        # The workdir stays (the server's log, its database); the ~100 MB of files go.
        shutil.rmtree(where / "artifacts", ignore_errors=True)


def _pythonpath() -> str:
    """This checkout first, for every process the part starts."""
    return os.pathsep.join(p for p in (str(paths.REPO), os.environ.get("PYTHONPATH")) if p)


def _pems(key: Any) -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization

    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def _log(model: str, weights: Path, size: int) -> int:
    """A run with the production gate's metrics and a PythonModel whose artifact is a
    numpy array of `size` bytes, registered as the next version of `model`."""
    import mlflow
    import numpy as np

    np.save(weights, np.random.default_rng().random(size // 8))
    with mlflow.start_run():
        mlflow.log_metrics({"accuracy": 0.9, "f1": 0.9})
        logged = mlflow.pyfunc.log_model(
            name="model",
            python_model=_python_model(),
            artifacts={"weights": str(weights)},
            pip_requirements=["mlflow", "numpy"],
            registered_model_name=model,
        )
    weights.unlink()  # the server holds its copy
    return int(logged.registered_model_version)


def _python_model() -> Any:
    """A model that reads its weights when loaded (defined here: pickled by value)."""
    import mlflow.pyfunc

    class Weights(mlflow.pyfunc.PythonModel):
        def load_context(self, context: Any) -> None:
            import numpy as np

            self.weights = np.load(context.artifacts["weights"])

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return [float(self.weights.sum())]

    return Weights()


def _files(folder: Path, uri: str, url: str) -> dict[str, int]:
    """How many files a version's download holds and their bytes."""
    import mlflow.artifacts

    local = Path(mlflow.artifacts.download_artifacts(uri, dst_path=str(folder), tracking_uri=url))
    sizes = [p.stat().st_size for p in local.rglob("*") if p.is_file()]
    shutil.rmtree(folder, ignore_errors=True)
    return {"count": len(sizes), "bytes": sum(sizes)}


def _service(url: str, policy: Any, private_pem: str | None, registry: Any = None) -> Any:
    from bot.adapters.keys import Ed25519Signatures
    from bot.adapters.mlflow.gateway import Registry
    from bot.core.service import Service
    from bot.core.service.common import Outside

    signatures = Ed25519Signatures(private_pem, "") if private_pem else None
    return Service(registry or Registry(url), policy, outside=Outside(signatures=signatures))


def _handle(service: Any, text: str, actor: str, status: str) -> Any:
    from bot.core.commands import parse
    from bot.core.service import Context

    command = parse(text).command
    assert command is not None, text
    result = service.handle(command, Context(actor=actor))
    if result.status != status or result.already:
        raise RuntimeError(f"`{text}` gave {result.status}: {result.reasons or result.message}")
    return result


# ---- signing's cost per command ------------------------------------------------------------


class Hooks:
    """Around one Registry adapter (the real methods run): the time spent inside the
    artifact check and, with a proxy, the calls made there (nothing runs beside it), and
    how many receipt tags the use cases wrote (one set-tag call each)."""

    def __init__(self, registry: Any, proxy: CountingProxy | None = None) -> None:
        from bot.core.state.signed import RECEIPT_PREFIX

        self.check_s = 0.0
        self.check_calls: list[str] = []
        self.receipts = 0
        digest, write = registry.artifact_digest, registry.set_version_tags

        def artifact_digest(model: str, version: int) -> str:
            started = time.perf_counter()
            with proxy.recording() if proxy else nullcontext([]) as calls:
                try:
                    return digest(model, version)
                finally:
                    self.check_s += time.perf_counter() - started
                    self.check_calls.extend(endpoint(c.call) for c in calls)

        def set_version_tags(model: str, version: int, tags: dict[str, str]) -> None:
            self.receipts += sum(key.startswith(RECEIPT_PREFIX) for key in tags)
            write(model, version, tags)

        registry.artifact_digest = artifact_digest
        registry.set_version_tags = set_version_tags

    def reset(self) -> None:
        self.check_s, self.check_calls, self.receipts = 0.0, [], 0


class Twin:
    """One of the twin models, driven with the key (signed) or without; set-up goes
    straight to the server, the command through `via` (the proxy when counting)."""

    def __init__(
        self, found: Rig, policy: Any, side: str, proxy: CountingProxy | None = None
    ) -> None:
        from mlflow import MlflowClient

        from bot.adapters.mlflow.gateway import Registry

        self.model = TWINS[side]
        pem = found.private_pem if side == "signed" else None
        registry = Registry(proxy.url if proxy else found.url)
        self.hooks = Hooks(registry, proxy)
        self.service = _service(found.url, policy, pem, registry)
        self.setup = _service(found.url, policy, pem)
        self.client = MlflowClient(found.url)
        self.pending = ""
        self.runs = 0

    def other(self, pair: tuple[int, int], stage: str) -> int:
        held = self.client.get_latest_versions(self.model, [stage])
        return pair[1] if held and int(held[0].version) == pair[0] else pair[0]

    def reason(self) -> str:
        self.runs += 1  # a description line no run wrote before
        return f"bench {self.runs}"

    def prepare(self, command: str) -> Callable[[], None]:
        """Untimed set-up, then the command to time."""
        model = self.model
        if command == "promote":
            text = f"promote {model} v{self.other(STAGING_PAIR, 'Staging')} staging"
            return lambda: _handle(self.service, f"{text} {self.reason()}", REQUESTER, "done")
        if command == "request":
            text = f"promote {model} v{self.other(PRODUCTION_PAIR, 'Production')} production"

            def request() -> None:
                asked = _handle(self.service, f"{text} {self.reason()}", REQUESTER, "pending")
                self.pending = asked.request_id

            return request
        if command == "approve":
            text = f"approve {self.pending} {self.reason()}"
            return lambda: _handle(self.service, text, APPROVER, "done")
        ask = f"promote {model} v{self.other(STAGING_PAIR, 'Staging')} staging to roll back"
        _handle(self.setup, ask, REQUESTER, "done")
        text = f"rollback {model} staging {self.reason()}"
        return lambda: _handle(self.service, text, ONCALL, "done")


def count_commands(found: Rig, policy: Any) -> dict[str, Any]:
    """Each command once per side through the proxy, after one warm-up round (a first
    promotion has no holder to replace): calls by endpoint, the artifact check's apart."""
    out: dict[str, Any] = {}
    with CountingProxy(found.url) as proxy, default_uri(proxy.url, found.url):
        twins = {side: Twin(found, policy, side, proxy) for side in SIDES}
        for recorded in (False, True):
            for command in COMMANDS:
                lists: dict[str, list[str]] = {}
                for side, twin in twins.items():
                    action = twin.prepare(command)
                    twin.hooks.reset()
                    with proxy.recording() as calls:
                        action()
                    lists[side] = [endpoint(c.call) for c in calls]
                if recorded:
                    hooks = twins["signed"].hooks
                    unsigned_hooks = twins["unsigned"].hooks
                    if unsigned_hooks.check_calls or unsigned_hooks.receipts:
                        raise RuntimeError("the unsigned twin checked files or wrote a receipt")
                    out[command] = calls_of(
                        lists["unsigned"], lists["signed"], hooks.check_calls, hooks.receipts
                    )
    return out


def time_commands(
    found: Rig, policy: Any, repeats: int, progress: Callable[[str], None]
) -> tuple[dict[str, dict[str, list[float]]], dict[str, list[float]]]:
    """Seconds per command each side (the first alternating with the repeat), and the
    seconds the signed side spent inside the artifact check."""
    twins = {side: Twin(found, policy, side) for side in SIDES}
    seconds: dict[str, dict[str, list[float]]] = {c: {s: [] for s in SIDES} for c in COMMANDS}
    checks: dict[str, list[float]] = {c: [] for c in COMMANDS}
    for repeat in range(repeats):
        order = SIDES if repeat % 2 == 0 else SIDES[::-1]
        for command in COMMANDS:
            for side in order:
                twin = twins[side]
                action = twin.prepare(command)
                twin.hooks.reset()
                time.sleep(PAUSE_S)
                started = time.perf_counter()
                action()
                seconds[command][side].append(time.perf_counter() - started)
            checks[command].append(twins["signed"].hooks.check_s)
        progress(f"receipts: commands, repeat {repeat + 1} of {repeats}")
    return seconds, checks


def signed_records(found: Rig) -> dict[str, Any]:
    """The signed twin's records at the end (every read of the model checks each), and
    one record's signing and checking in process (µs, median of 200)."""
    from mlflow import MlflowClient

    from bot.adapters.keys import Ed25519Signatures
    from bot.core.state.codec import loads
    from bot.core.state.signed import is_signed_record

    tags = MlflowClient(found.url).get_registered_model(TWINS["signed"]).tags
    records = [loads(v) for k, v in tags.items() if is_signed_record(k)]
    signatures = Ed25519Signatures(found.private_pem, "")
    record = max(records, key=len)  # an event: the longest kind
    sign, check = [], []
    for _ in range(200):
        started = time.perf_counter()
        signatures.sign(record)
        sign.append(time.perf_counter() - started)
        started = time.perf_counter()
        if signatures.check(record):
            raise RuntimeError("a record the signed twin holds does not check")
        check.append(time.perf_counter() - started)
    return {
        "model_tags": len(tags),
        "signed_records": len(records),
        "sign_us": _us(median(sign)),
        "check_us": _us(median(check)),
    }


def _us(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1e6, 1)
