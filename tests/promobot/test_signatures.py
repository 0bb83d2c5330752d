"""Signed records: the canonical bytes, sign and verify, every reason a signature fails,
and a key rotation (promobot/signatures.py)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from promobot.signatures import (
    EVENT_PREFIX,
    canonical,
    event_sequence,
    key_id,
    receipt_key,
    sign,
    verify,
)

RECORD = {"v": 1, "model": "sentiment-classifier", "version": 3, "target": "Production"}


def trust(*keys: Ed25519PrivateKey) -> dict:
    return {key_id(k.public_key()): k.public_key() for k in keys}


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_canonical_is_sorted_compact_utf8_and_leaves_out_sig() -> None:
    record = {"b": "é→", "a": [1, {"z": None, "y": True}], "sig": {"value": "x"}}
    assert canonical(record) == '{"a":[1,{"y":true,"z":null}],"b":"é→"}'.encode()


def test_canonical_ignores_key_order() -> None:
    assert canonical({"a": 1, "b": 2}) == canonical({"b": 2, "a": 1})


def test_key_id_is_16_hex_of_the_raw_public_key(key: Ed25519PrivateKey) -> None:
    import hashlib

    from cryptography.hazmat.primitives import serialization

    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key_id(key.public_key()) == hashlib.sha256(raw).hexdigest()[:16]
    assert len(raw) == 32


def test_sign_adds_sig_to_a_copy_and_verify_accepts_it(key: Ed25519PrivateKey) -> None:
    signed = sign(RECORD, key)
    assert "sig" not in RECORD
    assert signed["sig"]["alg"] == "ed25519"
    assert signed["sig"]["kid"] == key_id(key.public_key())
    assert len(base64.b64decode(signed["sig"]["value"])) == 64
    assert verify(signed, trust(key)) == ""
    # What a tag holds: the JSON read back, in any key order.
    assert verify(json.loads(json.dumps(signed, sort_keys=True)), trust(key)) == ""


def test_signing_again_replaces_the_old_sig(key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    resigned = sign(sign(RECORD, other), key)
    assert resigned["sig"]["kid"] == key_id(key.public_key())
    assert verify(resigned, trust(key)) == ""


def _changed(signed: dict, **sig: object) -> dict:
    return {**signed, "sig": {**signed["sig"], **sig}}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: {k: v for k, v in s.items() if k != "sig"}, "unsigned"),
        (lambda s: {**s, "version": 4}, "bad signature"),
        (lambda s: {**s, "extra": "added after signing"}, "bad signature"),
        (lambda s: _changed(s, alg="rsa"), "unknown algorithm rsa"),
        (lambda s: _changed(s, alg=None), "unknown algorithm null"),
        (lambda s: _changed(s, kid="0123456789abcdef"), "unknown key 0123456789abcdef"),
        (lambda s: _changed(s, kid=7), "unknown key 7"),
        (lambda s: _changed(s, value=s["sig"]["value"][:-8]), "bad signature"),
        (lambda s: _changed(s, value="not base64 at all!"), "bad signature"),
        (lambda s: _changed(s, value=base64.b64encode(b"x" * 63).decode()), "bad signature"),
        (lambda s: _changed(s, value=base64.b64encode(b"x" * 64).decode()), "bad signature"),
        (lambda s: _changed(s, value=None), "bad signature"),
        (lambda s: {**s, "sig": "ed25519:abc"}, "bad signature"),
        (lambda s: {**s, "sig": ["ed25519"]}, "bad signature"),
        (lambda s: {**s, "sig": None}, "bad signature"),
    ],
    ids=[
        "unsigned",
        "changed-field",
        "added-field",
        "other-alg",
        "no-alg",
        "unknown-kid",
        "kid-not-text",
        "truncated",
        "not-base64",
        "63-bytes",
        "64-wrong-bytes",
        "value-null",
        "sig-text",
        "sig-list",
        "sig-null",
    ],
)
def test_every_failure_has_its_reason(key: Ed25519PrivateKey, change, reason: str) -> None:
    assert verify(change(sign(RECORD, key)), trust(key)) == reason


@pytest.mark.parametrize("record", [None, 3, "text", [1, 2], {"sig": {"alg": "ed25519"}}])
def test_verify_never_raises(key: Ed25519PrivateKey, record: object) -> None:
    assert verify(record, trust(key)) in ("unsigned", "unknown key null")  # type: ignore[arg-type]


def test_a_value_json_cannot_hold_is_a_bad_signature_not_an_exception(
    key: Ed25519PrivateKey,
) -> None:
    signed = {**sign(RECORD, key), "odd": object()}
    assert verify(signed, trust(key)) == "bad signature"


def test_rotation_two_keys_trusted_then_the_old_one_removed(key: Ed25519PrivateKey) -> None:
    new = Ed25519PrivateKey.generate()
    by_old, by_new = sign(RECORD, key), sign(RECORD, new)
    both = trust(key, new)
    assert verify(by_old, both) == verify(by_new, both) == ""
    only_new = trust(new)
    assert verify(by_new, only_new) == ""
    assert verify(by_old, only_new) == f"unknown key {key_id(key.public_key())}"


def test_receipt_keys_drop_the_at_of_an_alias() -> None:
    assert receipt_key("Production") == "promobot.receipt.Production"
    assert receipt_key("@champion") == "promobot.receipt.champion"


def test_event_keys_sort_in_time_as_strings() -> None:
    # bot/core/state/keys.py event_key: ms to 13 digits, the host's ns to 20.
    older = f"{EVENT_PREFIX}{1_700_000_000_000:013d}.{99:020d}.req-ffffffffff"
    newer = f"{EVENT_PREFIX}{1_700_000_000_001:013d}.{1:020d}.req-0000000000"
    assert older < newer
    assert event_sequence(older) < event_sequence(newer)


def test_the_event_prefix_and_order_are_bots() -> None:
    from datetime import UTC, datetime

    from bot.core.state import keys

    assert keys.EVENT_PREFIX == EVENT_PREFIX
    at = datetime(2026, 11, 26, 10, 2, tzinfo=UTC)
    written = [keys.event_key(at, "req-bbbbbbbbbb"), keys.event_key(at, "req-aaaaaaaaaa")]
    # Written in this order: the second is newer although its id sorts first.
    assert max(written) == written[1]
    assert keys.event_keys(dict.fromkeys(written, "")) == sorted(written, key=event_sequence)
