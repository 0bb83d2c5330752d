"""promobot.serving against a real `mlflow server` serving its artifacts (the session's
`mlflow_server`): MLflow is asked and the files downloaded as in production.

In these tests the test plays promobot's writer (tests/receipt_writer.py): it signs the
history event and the receipt with a test key through promobot.signatures.sign and writes
them as tags, the way promobot's execution does, and takes the artifact digest from the
files the server stores. Then deployment code's side is run for real: load_model and
verify.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from receipt_writer import KEY, TRUSTED, Logged, Registry, served_registry

from promobot.keys import public_pem
from promobot.serving import UnapprovedModel, Verified, load_model, verify
from promobot.signatures import artifact_digest, key_id, receipt_key

pytestmark = pytest.mark.server

X = np.array([[0.0], [3.0]])


@pytest.fixture(scope="module")
def registry(mlflow_server) -> Iterator[Registry]:
    with served_registry(mlflow_server) as served:
        yield served


@pytest.fixture(scope="module")
def logged(registry: Registry) -> Logged:
    return registry.log()


@pytest.fixture(scope="module")
def promoted(registry: Registry, logged: Logged) -> str:
    """A model whose v1 promobot carried out to Production."""
    name = registry.versions(logged, 2)
    registry.carry_out(name, 1, "Production", logged)
    return name


def refusal(uri: str, **kwargs: object) -> UnapprovedModel:
    kwargs.setdefault("trusted_keys", TRUSTED)
    with pytest.raises(UnapprovedModel) as caught:
        verify(uri, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_a_promoted_version_loads_by_stage_and_by_alias(promoted: str) -> None:
    model = load_model(f"models:/{promoted}/Production", trusted_keys=TRUSTED)
    assert list(model.predict(X)) == [0, 1]
    model = load_model(f"models:/{promoted}@production", trusted_keys=TRUSTED)
    assert list(model.predict(X)) == [0, 1]


def test_verify_says_what_it_checked(promoted: str, tmp_path: Path) -> None:
    checked = verify(f"models:/{promoted}/production", trusted_keys=TRUSTED, dst_path=tmp_path)
    assert isinstance(checked, Verified)
    assert (checked.model, checked.version, checked.target) == (promoted, 1, "Production")
    assert checked.receipt["sig"]["kid"] == key_id(KEY.public_key())
    assert checked.local_path.parent == tmp_path
    assert (checked.local_path / "MLmodel").is_file()
    # A version number: any of its receipts that holds.
    assert verify(f"models:/{promoted}/1", trusted_keys=TRUSTED).target == "Production"


def test_the_trusted_keys_come_from_the_environment(
    promoted: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMOBOT_TRUSTED_KEYS", TRUSTED)
    assert verify(f"models:/{promoted}/Production").version == 1
    monkeypatch.delenv("PROMOBOT_TRUSTED_KEYS")
    found = refusal(f"models:/{promoted}/Production", trusted_keys=None)
    assert found.reason == "no-keys"
    assert "set PROMOBOT_TRUSTED_KEYS to promobot's public key(s)" in str(found)


def test_a_raw_stage_move_has_no_receipt_while_the_alias_still_loads(
    registry: Registry, logged: Logged
) -> None:
    name = registry.versions(logged, 2)
    registry.carry_out(name, 1, "Production", logged)
    # Someone with MLflow's permissions moves v2 into Production by hand.
    registry.client.transition_model_version_stage(name, "2", "Production")
    found = refusal(f"models:/{name}/Production")
    assert (found.reason, found.model, found.version, found.target) == (
        "no-receipt",
        name,
        2,
        "Production",
    )
    assert str(found) == (
        f"no receipt for v2 in Production: promobot never carried out v2 → Production, so "
        f"nobody approved it there. Run `promobot audit {name}`; promote through promobot "
        f"(`promote {name} v2 production <reason>`)"
    )
    assert list(load_model(f"models:/{name}@production", trusted_keys=TRUSTED).predict(X)) == [
        0,
        1,
    ]
    assert refusal(f"models:/{name}/2").reason == "no-receipt"


def test_changed_files_are_refused(registry: Registry) -> None:
    tampered = registry.log()  # files of its own: this test changes them
    name = registry.versions(tampered)
    _, receipt = registry.carry_out(name, 1, "Production", tampered)
    assert verify(f"models:/{name}/Production", trusted_keys=TRUSTED).version == 1
    [weights] = [p for p in tampered.files.iterdir() if p.suffix in (".skops", ".pkl")]
    weights.write_bytes(weights.read_bytes() + b"\0")
    found = refusal(f"models:/{name}/Production")
    assert found.reason == "artifacts"
    now = artifact_digest(tampered.files)
    assert str(found).startswith(
        f"the files of v1 changed after promobot carried it out: {receipt['artifact_digest']} "
        f"was approved, {now} is there now"
    )


def test_verify_never_loads_the_model(registry: Registry) -> None:
    broken = registry.log()
    [weights] = [p for p in broken.files.iterdir() if p.suffix in (".skops", ".pkl")]
    weights.write_bytes(b"not a model at all")  # before promobot carries it out
    name = registry.versions(broken)
    registry.carry_out(name, 1, "Production", broken)
    checked = verify(f"models:/{name}/Production", trusted_keys=TRUSTED)
    assert (checked.local_path / weights.name).read_bytes() == b"not a model at all"
    with pytest.raises(Exception) as caught:
        load_model(f"models:/{name}/Production", trusted_keys=TRUSTED)
    assert not isinstance(caught.value, UnapprovedModel)


def test_a_newer_signed_execution_supersedes_the_receipt(
    registry: Registry, logged: Logged
) -> None:
    name = registry.versions(logged, 2)
    registry.carry_out(name, 1, "Production", logged)
    registry.carry_out(name, 2, "Production", logged, request="req-2222222222")
    # v1 is put back by hand: its own receipt is older than v2's execution.
    registry.move(name, 1, "Production")
    found = refusal(f"models:/{name}/Production")
    assert found.reason == "superseded"
    assert "v2 (req-2222222222, at 2026-11-26T10:02:00Z) superseded it" in str(found)
    assert verify(f"models:/{name}/2", trusted_keys=TRUSTED).version == 2


def test_an_alias_target(registry: Registry, logged: Logged) -> None:
    name = registry.versions(logged, 2)
    registry.carry_out(name, 2, "@champion", logged)
    assert verify(f"models:/{name}@champion", trusted_keys=TRUSTED).target == "@champion"
    registry.move(name, 1, "@champion")
    assert refusal(f"models:/{name}@champion").reason == "no-receipt"


def test_a_rotated_key_and_an_unknown_one(registry: Registry, logged: Logged) -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    name = registry.versions(logged)
    registry.carry_out(name, 1, "Production", logged, key=old)
    uri = f"models:/{name}/Production"
    assert verify(uri, trusted_keys=f"{public_pem(new)}\n{public_pem(old)}").version == 1
    found = refusal(uri, trusted_keys=public_pem(new))
    assert found.reason == "unknown-key"
    assert key_id(old.public_key()) in str(found)
    assert "PROMOBOT_TRUSTED_KEYS" in str(found)


@pytest.mark.parametrize(
    ("value", "reason", "says"),
    [
        ("{not json", "bad-signature", "is not a JSON object"),
        # MLflow keeps at most 100,000 characters in a tag: the largest one can write.
        ("x" * 100_000, "bad-signature", "bytes, far more than any receipt"),
        ("truncated", "bad-signature", "(bad signature)"),
        ("alg", "bad-signature", "(unknown algorithm rsa-pss)"),
        ("unsigned", "bad-signature", "(unsigned)"),
    ],
)
def test_receipts_that_are_not_promobots(
    registry: Registry, logged: Logged, value: str, reason: str, says: str
) -> None:
    name = registry.versions(logged)
    _, receipt = registry.carry_out(name, 1, "Production", logged)
    sig = receipt["sig"]
    changed = {
        "truncated": {**receipt, "sig": {**sig, "value": sig["value"][:40]}},
        "alg": {**receipt, "sig": {**sig, "alg": "rsa-pss"}},
        "unsigned": {k: v for k, v in receipt.items() if k != "sig"},
    }
    text = json.dumps(changed[value]) if value in changed else value
    registry.client.set_model_version_tag(name, "1", receipt_key("Production"), text)
    found = refusal(f"models:/{name}/Production")
    assert found.reason == reason
    assert says in str(found)


@pytest.mark.parametrize(
    ("uri", "reason", "says"),
    [
        ("models:/no-such-model-here/Production", "no-model", "no registered model"),
        ("models:/{name}@nobody", "no-model", "has no alias @nobody"),
        ("models:/{name}/99", "no-model", "has no version 99"),
        ("models:/{name}/Staging", "no-model", "no version of"),
        ("models:/{name}/latest", "bad-uri", "models:/<model>/<stage>"),
        ("runs:/0123/model", "bad-uri", "names no registered model version"),
    ],
)
def test_uris_naming_nothing_to_check(promoted: str, uri: str, reason: str, says: str) -> None:
    found = refusal(uri.format(name=promoted))
    assert (found.reason, says in str(found)) == (reason, True)


def test_warn_logs_each_failure_and_loads(
    registry: Registry, logged: Logged, caplog: pytest.LogCaptureFixture
) -> None:
    name = registry.versions(logged)
    registry.move(name, 1, "Production")  # never carried out by promobot
    with caplog.at_level(logging.WARNING, logger="promobot.serving"):
        model = load_model(f"models:/{name}/Production", mode="warn", trusted_keys="")
    assert list(model.predict(X)) == [0, 1]
    logged_lines = [r.getMessage() for r in caplog.records if r.name == "promobot.serving"]
    assert any("no trusted keys" in line for line in logged_lines)
    assert any("no receipt for v1 in Production" in line for line in logged_lines)
    with pytest.raises(ValueError, match="mode must be 'raise' or 'warn'"):
        load_model(f"models:/{name}/Production", mode="log")
    with pytest.raises(UnapprovedModel, match="no-such"):  # nothing to load: raised
        load_model("models:/no-such-model-here/Production", mode="warn", trusted_keys=TRUSTED)


class Marks:
    """Unpickled, it creates the file at `path`: proof that something unpickled it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_an_overwritten_pickle_is_refused_before_anything_unpickles_it(
    registry: Registry, tmp_path: Path
) -> None:
    import pickle

    logged = registry.log_files(tmp_path / "files", {"note.txt": b"approved"})
    name = registry.versions(logged)
    registry.carry_out(name, 1, "Production", logged)
    uri = f"models:/{name}/Production"
    assert load_model(uri, trusted_keys=TRUSTED).predict(["x"]) == ["x"]
    # Someone with write access to the artifact store replaces the approved model.
    marker = tmp_path / "unpickled"
    (logged.files / "python_model.pkl").write_bytes(pickle.dumps(Marks(marker)))
    with pytest.raises(UnapprovedModel) as caught:
        load_model(uri, trusted_keys=TRUSTED, dst_path=tmp_path / "loads")
    assert caught.value.reason == "artifacts"
    assert not marker.exists()
    # Not a harmless file: loaded anyway (mode="warn"), pyfunc does unpickle it.
    with contextlib.suppress(Exception):  # what pyfunc makes of a file object: no model
        load_model(uri, mode="warn", trusted_keys=TRUSTED, dst_path=tmp_path / "loads")
    assert marker.exists()
