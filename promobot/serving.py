"""Load a model only when promobot carried it out: what deployment code calls.

    from promobot.serving import load_model
    model = load_model("models:/sentiment-classifier/Production")

Before anything is unpickled, the version the URI names must carry a receipt signed by
a trusted key (PROMOBOT_TRUSTED_KEYS, or `trusted_keys=`) for that very model, version
and target, be promobot's newest execution there, and its files must hash to the digest
the receipt records. Otherwise UnapprovedModel says which check failed and what to run;
with mode="warn" each failure is logged (logger `promobot.serving`, WARNING) and the
model loads anyway, for adopting receipts on a registry that has none yet.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from promobot import receipts, registry, uri
from promobot.refusals import (
    BAD_URI,
    NO_KEYS,
    RegistryUnavailable,
    UnapprovedModel,
    specificity,
)
from promobot.signatures import (
    RECEIPT_PREFIX,
    KeyProblem,
    public_keys,
    receipt_key,
)

__all__ = ["RegistryUnavailable", "UnapprovedModel", "Verified", "load_model", "verify"]

log = logging.getLogger("promobot.serving")
MODES = ("raise", "warn")
TRUSTED_KEYS_VARIABLE = "PROMOBOT_TRUSTED_KEYS"
PYFUNC_MISSING = (
    "promobot.serving.load_model loads with mlflow.pyfunc, which cannot be imported here "
    "(no module {module}): mlflow-skinny alone lacks numpy and pandas. Install mlflow, or "
    "numpy and pandas beside mlflow-skinny, with what the model itself needs; verify() "
    "checks a version without them"
)


@dataclass(frozen=True)
class Verified:
    """A version whose receipt held, and where its checked files are."""

    model: str
    version: int
    target: str  # "Production", "@champion"; "" when warned through without a receipt
    receipt: dict[str, Any] = field(compare=False)
    local_path: Path


def verify(
    model_uri: str,
    *,
    trusted_keys: str | None = None,
    dst_path: str | Path | None = None,
    tracking_uri: str | None = None,
) -> Verified:
    """Every check load_model makes, without loading: the files are downloaded (into a
    new folder, inside `dst_path` when given) and hashed, never unpickled. Raises
    UnapprovedModel, or RegistryUnavailable when MLflow cannot be asked.
    `tracking_uri`: the MLflow server to ask (default: MLflow's, MLFLOW_TRACKING_URI)."""
    return _checked(Asked(model_uri, trusted_keys, dst_path, tracking_uri), warn=False)


def load_model(
    model_uri: str,
    *,
    mode: str = "raise",
    trusted_keys: str | None = None,
    dst_path: str | Path | None = None,
    tracking_uri: str | None = None,
) -> Any:
    """mlflow.pyfunc.load_model of the version at `model_uri` once verify() passes.
    `mode`: "raise" (UnapprovedModel) or "warn" (log each failure, load anyway; a
    model, alias or version MLflow does not have still raises: there is nothing to load).
    `trusted_keys`: the public keys as PROMOBOT_TRUSTED_KEYS gives them (its default)."""
    if mode not in MODES:
        raise ValueError(f"mode must be 'raise' or 'warn', not {mode!r}")
    try:
        import mlflow.pyfunc  # only here: verify() never loads a model
    except ImportError as exc:  # mlflow-skinny alone: pyfunc needs numpy and pandas too
        raise ImportError(PYFUNC_MISSING.format(module=exc.name or exc)) from exc

    try:
        asked = Asked(model_uri, trusted_keys, dst_path, tracking_uri)
        checked = _checked(asked, warn=mode == "warn")
    except UnapprovedModel as exc:
        if mode == "warn" and exc.reason == BAD_URI:
            # Nothing promobot could vouch for: MLflow loads what it names, as before.
            log.warning("loading %s unverified: %s", model_uri, exc)
            return mlflow.pyfunc.load_model(model_uri, dst_path=_str(dst_path))
        raise
    return mlflow.pyfunc.load_model(str(checked.local_path))


def _trusted(trusted_keys: str | None) -> dict[str, Ed25519PublicKey]:
    """The keys whose signatures count: `trusted_keys`, else PROMOBOT_TRUSTED_KEYS.
    UnapprovedModel (no-keys) when there are none or they cannot be read."""
    text = os.environ.get(TRUSTED_KEYS_VARIABLE, "") if trusted_keys is None else trusted_keys
    try:
        keys = public_keys(text)
    except KeyProblem as exc:
        raise UnapprovedModel(NO_KEYS, f"{TRUSTED_KEYS_VARIABLE}: {exc}") from None
    if not keys:
        raise UnapprovedModel(
            NO_KEYS,
            f"no trusted keys: set {TRUSTED_KEYS_VARIABLE} to promobot's public key(s) (the "
            "promobot-signing.pub.pem `promobot keys generate` wrote), or pass trusted_keys=",
        )
    return keys


@dataclass(frozen=True)
class Asked:
    model_uri: str
    trusted_keys: str | None
    dst_path: str | Path | None
    tracking_uri: str | None


def _checked(asked: Asked, *, warn: bool) -> Verified:
    model_uri = asked.model_uri
    wanted = uri.parse(model_uri)
    try:
        keys = _trusted(asked.trusted_keys)
    except UnapprovedModel as exc:
        if not warn:
            raise
        log.warning("%s: %s", model_uri, exc)
        keys = {}
    found = registry.find(wanted, asked.tracking_uri)
    outcomes = [
        (about, *receipts.check(about, text, found.model_tags, keys))
        for about, text in _candidates(wanted, found)
    ]
    if not warn and not any(not failures for _, _, failures in outcomes):
        raise _most_specific(outcomes)
    # Downloaded and hashed, nothing unpickled: pyfunc loads the folder only once this
    # digest matches a receipt (or mode="warn" says to load anyway).
    fetched = registry.fetch(found.model, found.version, asked.dst_path, asked.tracking_uri)
    local, digest = fetched.path, fetched.digest
    outcomes = [
        (about, receipt, _with_digest(about, receipt, failures, digest))
        for about, receipt, failures in outcomes
    ]
    passed = next(((a, r) for a, r, failures in outcomes if not failures), None)
    if passed:
        about, receipt = passed
        return Verified(found.model, found.version, about.target, receipt, local)
    best = max(outcomes, key=lambda o: specificity(o[2][0]))
    if not warn:
        raise best[2][0]
    for failure in best[2]:
        log.warning("%s: %s (loading it anyway: mode=warn)", model_uri, failure)
    about, receipt, _ = best
    return Verified(found.model, found.version, about.target, receipt, local)


def _candidates(wanted: uri.Wanted, found: registry.Found) -> list[tuple[receipts.Version, Any]]:
    """(what the receipt must vouch for, the receipt tag's value or None) to try."""
    if wanted.targets:
        return [
            (
                receipts.Version(found.model, found.version, target),
                found.version_tags.get(receipt_key(target)),
            )
            for target in wanted.targets
        ]
    keys = sorted(k for k in found.version_tags if k.startswith(RECEIPT_PREFIX))
    if not keys:  # a version number asked for, with no receipt for any target
        return [(receipts.Version(found.model, found.version, ""), None)]
    return [
        (receipts.Version(found.model, found.version, receipts.target_of(k)), found.version_tags[k])
        for k in keys
    ]


def _with_digest(
    about: receipts.Version, receipt: dict[str, Any], failures: list[UnapprovedModel], digest: str
) -> list[UnapprovedModel]:
    if not receipt:
        return failures
    problem = receipts.digest_problem(about, receipt, digest)
    return [*failures, problem] if problem else failures


def _most_specific(outcomes: list[tuple[Any, Any, list[UnapprovedModel]]]) -> UnapprovedModel:
    return max((failures[0] for _, _, failures in outcomes), key=specificity)


def _str(path: str | Path | None) -> str | None:
    return None if path is None else str(path)
