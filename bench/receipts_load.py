"""The receipts part's load figure (bench/receipts_bench.py has the rig and the rest):
`promobot.serving.load_model` against `mlflow.pyfunc.load_model` of the 50 MB model, each
into a fresh folder, the loaders in turn; each loader's MLflow calls counted once through
the recording proxy; promobot's steps timed alone."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.rest_calls import CountingProxy
from bench.stats import median, ms

LOADERS = ("pyfunc", "promobot")
SIZE_MB = 50
PAUSE_S = 0.2  # before each timed run: no kept-alive connection's stall (bench/README.md)
_ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@dataclass
class Rig:
    url: str
    uri: str  # models:/bench-receipts-50mb/Production
    private_pem: str
    public_pem: str
    files: dict[str, int]  # the 50 MB model's files: count and bytes
    twin_files: dict[str, int]


def _loaders(found: Rig, url: str) -> dict[str, Callable[[Path], Any]]:
    """Each loader of the 50 MB model into `dst`, against the server at `url`."""
    import mlflow.pyfunc

    from promobot.serving import load_model

    def pyfunc(dst: Path) -> Any:
        return mlflow.pyfunc.load_model(found.uri, dst_path=str(dst))

    def promobot(dst: Path) -> Any:
        return load_model(found.uri, trusted_keys=found.public_pem, dst_path=dst, tracking_uri=url)

    return {"pyfunc": pyfunc, "promobot": promobot}


@contextmanager
def _fresh(where: Path) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=where))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _loaded(model: Any) -> None:
    weights = model.unwrap_python_model().weights
    if weights.nbytes != SIZE_MB << 20:
        raise RuntimeError(f"loaded {weights.nbytes} bytes of weights, not {SIZE_MB} MB")


@contextmanager
def default_uri(url: str, back: str) -> Iterator[None]:
    """MLflow's default tracking URI (its default registry follows it) at `url` while the
    block runs, as in a promobot process whose MLFLOW_TRACKING_URI is its registry's:
    pyfunc's calls, and the artifact check's (`models:/` resolved through the default
    registry), then go through the proxy too."""
    import mlflow

    mlflow.set_tracking_uri(url)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(back)


def count_loads(found: Rig, where: Path) -> dict[str, list[str]]:
    """Each loader's MLflow calls, once, through the recording proxy (also the warm-up)."""
    out: dict[str, list[str]] = {}
    with CountingProxy(found.url) as proxy, default_uri(proxy.url, found.url):
        for name, load in _loaders(found, proxy.url).items():
            _forget_server_info()
            with _fresh(where) as dst, proxy.recording() as calls:
                _loaded(load(dst))
            out[name] = [endpoint(c.call) for c in calls]
    return out


def _forget_server_info() -> None:
    """MLflow's client keeps the server's `server-info` answer for 60 s, process-wide:
    forgotten before each loader is counted, so each count is a fresh process's, not
    lighter for whichever loader comes second."""
    from mlflow.utils import server_info

    getattr(server_info, "_SERVER_INFO_CACHE", {}).clear()


def time_loads(
    found: Rig, where: Path, repeats: int, rounds: int, progress: Callable[[str], None]
) -> dict[str, list[float]]:
    """Seconds per load, averaged over `rounds` pairs a repeat, the loaders in turn (the
    first alternating with the repeat), each load into a fresh folder after a pause."""
    loaders = _loaders(found, found.url)
    seconds: dict[str, list[float]] = {name: [] for name in LOADERS}
    for repeat in range(repeats):
        order = LOADERS if repeat % 2 == 0 else LOADERS[::-1]
        spent = dict.fromkeys(LOADERS, 0.0)
        for _ in range(rounds):
            for name in order:
                with _fresh(where) as dst:
                    time.sleep(PAUSE_S)
                    started = time.perf_counter()
                    model = loaders[name](dst)
                    spent[name] += time.perf_counter() - started
                    _loaded(model)
                    del model
        for name in LOADERS:
            seconds[name].append(spent[name] / rounds)
        progress(f"receipts: load, repeat {repeat + 1} of {repeats}")
    return seconds


def load_parts(found: Rig, where: Path, rounds: int) -> dict[str, float | None]:
    """promobot's own steps timed alone (median ms): its reads, the receipt's checks,
    its fetch (the download with the digest fed as the files arrive), and pyfunc loading
    the fetched folder; beside them, for what the fetch hides, MLflow's own download of
    the version and the digest of a downloaded folder taken after it."""
    import mlflow.pyfunc

    from promobot import receipts, registry, uri
    from promobot.digest import DOWNLOAD_ONLY_FILES, artifact_digest
    from promobot.signatures import public_keys, receipt_key

    keys = public_keys(found.public_pem)
    steps = ("reads", "receipt_check", "fetch", "pyfunc_from_folder", "mlflow_download")
    taken: dict[str, list[float]] = {k: [] for k in (*steps, "digest_after")}

    def timed(name: str, step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        time.sleep(PAUSE_S)
        started = time.perf_counter()
        value = step(*args, **kwargs)
        taken[name].append(time.perf_counter() - started)
        return value

    for _ in range(rounds):
        got = timed("reads", registry.find, uri.parse(found.uri), found.url)
        about = receipts.Version(got.model, got.version, "Production")
        text = got.version_tags.get(receipt_key("Production"))
        _, failures = timed("receipt_check", receipts.check, about, text, got.model_tags, keys)
        if failures:
            raise RuntimeError(f"the receipt does not hold: {failures[0]}")
        with _fresh(where) as dst:
            fetched = timed("fetch", registry.fetch, got.model, got.version, dst, found.url)
            _loaded(timed("pyfunc_from_folder", mlflow.pyfunc.load_model, str(fetched.path)))
        with _fresh(where) as dst:
            local = timed(
                "mlflow_download", registry.download, got.model, got.version, dst, found.url
            )
            digest = timed("digest_after", artifact_digest, local, exclude=DOWNLOAD_ONLY_FILES)
        if digest != fetched.digest:
            raise RuntimeError(f"fetched {fetched.digest}, the downloaded folder's is {digest}")
    return {name: ms(median(values)) for name, values in taken.items()}


def endpoint(call: str) -> str:
    """A recorded call by endpoint: an artifact's file path and a logged model's id
    become placeholders (`GET mlflow-artifacts/artifacts/<file>`)."""
    import re

    method, _, path = call.partition(" ")
    if path.startswith(_ARTIFACTS):
        tail = path.removeprefix(_ARTIFACTS)
        return f"{method} mlflow-artifacts/artifacts{'/<file>' if tail else ' (list)'}"
    return f"{method} {re.sub(r'm-[0-9a-f]{32}', '<id>', path)}"
