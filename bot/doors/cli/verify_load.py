"""`promobot verify-load MODEL_URI`: would deployment code's promobot.serving.load_model
load this model? Every check it makes, on the files downloaded to a temporary folder and
hashed, never unpickled.

Exit status: 0 it would load; 1 refused (the reason and what to run), or MLflow refused
the caller; 2 usage or set-up error (an unreadable key setting); 3 MLflow unreachable.
"""

from __future__ import annotations

import tempfile
from typing import Any

from bot.config import Settings, patient_mlflow_client
from bot.core.results import envelope
from bot.doors.answer import Answer, stop_answer, usage_answer
from bot.doors.common import ExitCode
from bot.doors.setup import open_settings
from promobot.keys import KeyProblem, private_key, public_pem
from promobot.serving import RegistryUnavailable, UnapprovedModel, Verified, verify

ACTION = "verify-load"

VERIFY_LOAD_HELP = """\
usage: promobot verify-load MODEL_URI [--json]

Say whether deployment code's `promobot.serving.load_model(MODEL_URI)` would load the
model, and if not, why and what to run. MODEL_URI is models:/<model>/<stage>,
models:/<model>@<alias> or models:/<model>/<version>. The version must carry a receipt
signed by a trusted key for that model, version and target, be promobot's newest signed
execution on the target, and its files must hash to the digest the receipt records. The
files are downloaded to a temporary folder and hashed, never loaded.

Settings (environment): MLFLOW_TRACKING_URI; PROMOBOT_TRUSTED_KEYS (the public keys whose
signatures count); PROMOBOT_SIGNING_KEY (its public key always counts too).

Exit status: 0 it would load, 1 refused (or MLflow refused the caller), 2 usage error or
an unreadable key setting, 3 MLflow unreachable.
"""


def run_verify_load(args: list[str], as_json: bool) -> int:
    if any(a in ("-h", "--help") for a in args):
        print(VERIFY_LOAD_HELP, end="")
        return ExitCode.OK
    if len(args) != 1 or args[0].startswith("-"):
        problem = "usage: `promobot verify-load MODEL_URI [--json]`, e.g. models:/m/Production"
        return usage_answer(problem).show(as_json)
    settings, failure = open_settings()
    if settings is None:
        return failure.report(as_json) if failure else ExitCode.USAGE
    try:
        trusted = trusted_keys(settings)
    except KeyProblem as exc:
        return stop_answer(ExitCode.USAGE, f"PROMOBOT_SIGNING_KEY: {exc}").show(as_json)
    patient_mlflow_client()  # a terminal has seconds, not minutes (bot/config.py)
    return _verdict(args[0], trusted, settings.mlflow_tracking_uri).show(as_json)


def trusted_keys(settings: Settings) -> str:
    """PROMOBOT_TRUSTED_KEYS, and the public half of PROMOBOT_SIGNING_KEY: what promobot
    signs is always trusted where it runs."""
    parts = [settings.promobot_trusted_keys]
    if settings.promobot_signing_key is not None:
        signing = settings.promobot_signing_key.get_secret_value()
        if signing.strip():
            parts.append(public_pem(private_key(signing)))
    return "\n".join(part for part in parts if part.strip())


def _verdict(model_uri: str, trusted: str, tracking_uri: str) -> Answer:
    with tempfile.TemporaryDirectory(prefix="promobot-verify-load-") as folder:
        try:
            checked = verify(
                model_uri, trusted_keys=trusted, dst_path=folder, tracking_uri=tracking_uri
            )
        except UnapprovedModel as exc:
            return _refused(model_uri, exc)
        except RegistryUnavailable as exc:
            code = ExitCode.REFUSED if exc.refused else ExitCode.UNAVAILABLE
            return stop_answer(code, f"promobot verify-load: {exc}")
    return _loads(model_uri, checked)


def _loads(model_uri: str, checked: Verified) -> Answer:
    receipt = checked.receipt
    sig = receipt.get("sig") or {}
    asked = _person(receipt.get("requested_by"))
    approvers = ", ".join(_person(a) for a in receipt.get("approved_by") or []) or "nobody"
    text = "\n".join(
        [
            f"✅ {model_uri} would load: {checked.model} v{checked.version}, carried out to "
            f"{checked.target} by promobot ({receipt.get('request')}, {receipt.get('at')})",
            f"   asked by {asked}; approved by {approvers}",
            f"   receipt signed with key {sig.get('kid')}; files {receipt.get('artifact_digest')}"
            " as approved",
        ]
    )
    data: dict[str, Any] = {
        "uri": model_uri,
        "key_id": sig.get("kid"),
        "artifact_digest": receipt.get("artifact_digest"),
        "receipt": receipt,
    }
    body = envelope("done", [], action=ACTION, data=data, about=_about(checked))
    return Answer(ExitCode.OK, body, text, ascii_json=False)


def _refused(model_uri: str, exc: UnapprovedModel) -> Answer:
    text = f"❌ {model_uri} would be refused ({exc.reason}): {exc}"
    about = {"model": exc.model or None, "version": exc.version, "target": exc.target or None}
    data = {"uri": model_uri, "reason": exc.reason}
    body = envelope("refused", [str(exc)], action=ACTION, data=data, about=about)
    return Answer(ExitCode.REFUSED, body, text, ascii_json=False)


def _about(checked: Verified) -> dict[str, Any]:
    return {"model": checked.model, "version": checked.version, "target": checked.target}


def _person(who: object) -> str:
    if isinstance(who, dict):
        return f"{who.get('person')} ({who.get('channel')})"
    return str(who)
