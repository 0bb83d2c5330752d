"""The checks on a receipt, without MLflow: what each failure says (promobot/receipts.py).
tests/promobot/test_serving.py runs the same checks on a real registry."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from promobot.receipts import MAX_RECEIPT_BYTES, Version, check, digest_problem, target_of
from promobot.signatures import EVENT_PREFIX, key_id, sign

KEY = Ed25519PrivateKey.generate()
TRUSTED = {key_id(KEY.public_key()): KEY.public_key()}
ABOUT = Version("sentiment-classifier", 3, "Production")
DIGEST = "sha256:" + "ab" * 32
EVENT = f"{EVENT_PREFIX}{1_795_000_000_000:013d}.{5:020d}.req-0123456789"


def receipt(**changes: object) -> dict:
    body = {
        "v": 1,
        "model": "sentiment-classifier",
        "version": 3,
        "target": "Production",
        "run_id": "0123456789abcdef0123456789abcdef",
        "source": "models:/m-0123",
        "artifact_digest": DIGEST,
        "request": "req-0123456789",
        "request_digest": "sha256:" + "cd" * 32,
        "requested_by": {"person": "bob@example.com", "channel": "slack"},
        "approved_by": [{"person": "alice@example.com", "channel": "github"}],
        "policy_digest": "sha256:" + "ef" * 32,
        "at": "2026-11-26T10:02:00Z",
        "previous": 2,
        "event": EVENT,
    }
    return {**body, **changes}


def event(version: int = 3, request: str = "req-0123456789", **changes: object) -> str:
    body = {"target_label": "Production", "version": version, "request": request}
    body["at"] = "2026-11-26T10:02:00Z"
    return json.dumps(sign({**body, **changes}, KEY))


TAGS = {EVENT: event()}


def failures(text: str | None, tags: dict = TAGS, about: Version = ABOUT) -> list[tuple]:
    return [(f.reason, str(f)) for f in check(about, text, tags, TRUSTED)[1]]


def signed(**changes: object) -> str:
    return json.dumps(sign(receipt(**changes), KEY))


def test_a_good_receipt_passes() -> None:
    found, problems = check(ABOUT, signed(), TAGS, TRUSTED)
    assert problems == []
    assert found["request"] == "req-0123456789"
    assert digest_problem(ABOUT, found, DIGEST) is None


def test_no_receipt_says_promobot_never_carried_it_out() -> None:
    [(reason, message)] = failures(None)
    assert reason == "no-receipt"
    assert message.startswith("no receipt for v3 in Production: promobot never carried out v3")
    assert "`promobot audit sentiment-classifier`" in message
    assert "`promote sentiment-classifier v3 production <reason>`" in message
    alias = Version("sentiment-classifier", 3, "@champion")
    [(_, message)] = failures(None, about=alias)
    assert "v3 at @champion" in message and "v3 @champion <reason>" in message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "is not a JSON object"),
        ("[1, 2]", "is not a JSON object"),
        ('"text"', "is not a JSON object"),
        ("[" * 5000, "is not a JSON object"),
        ("x" * (MAX_RECEIPT_BYTES + 1), "bytes, far more than any receipt"),
    ],
    ids=["garbage", "list", "string", "deep", "oversize"],
)
def test_what_is_no_receipt_at_all_is_a_bad_signature(text: str, says: str) -> None:
    [(reason, message)] = failures(text)
    assert reason == "bad-signature"
    assert says in message


def test_an_unsigned_or_changed_receipt() -> None:
    [(reason, message)] = failures(json.dumps(receipt()))
    assert reason == "bad-signature"
    assert "does not carry promobot's signature (unsigned)" in message
    forged = {**json.loads(signed()), "approved_by": []}
    [(reason, message)] = failures(json.dumps(forged))
    assert reason == "bad-signature"
    assert "(bad signature): someone other than promobot wrote or changed it" in message


def test_an_unknown_key_names_it_and_the_setting() -> None:
    other = Ed25519PrivateKey.generate()
    text = json.dumps(sign(receipt(), other))
    [(reason, message)] = failures(text)
    assert reason == "unknown-key"
    assert key_id(other.public_key()) in message
    assert "PROMOBOT_TRUSTED_KEYS" in message


@pytest.mark.parametrize(
    "change",
    [
        {"model": "other-model"},
        {"version": 2},
        {"version": "3"},
        {"target": "Staging"},
        {"target": "@champion"},
    ],
)
def test_a_receipt_for_something_else_is_the_wrong_target(change: dict) -> None:
    [(reason, message)] = failures(signed(**change))
    assert reason == "wrong-target"
    assert "not sentiment-classifier v3 → Production: it was copied from elsewhere" in message


def test_a_version_true_is_not_version_1() -> None:
    about = Version("sentiment-classifier", 1, "Production")
    [(reason, _)] = failures(signed(version=True), about=about)
    assert reason == "wrong-target"


def test_a_newer_execution_supersedes_it() -> None:
    newer = f"{EVENT_PREFIX}{1_795_000_000_001:013d}.{1:020d}.req-9999999999"
    tags = {**TAGS, newer: event(4, "req-9999999999")}
    [(reason, message)] = failures(signed(), tags)
    assert reason == "superseded"
    assert "v4 (req-9999999999, at 2026-11-26T10:02:00Z) superseded it" in message


def test_a_newer_record_of_the_same_version_says_promoting_it_again_is_not_the_way() -> None:
    # A raw move put v3 back in Production and a repair recorded it (a signed event of v3,
    # no receipt): the old receipt is superseded, and "promote v3 production" would only
    # record it again, so the message says what does give it a receipt.
    newer = f"{EVENT_PREFIX}{1_795_000_000_001:013d}.{1:020d}.req-8888888888"
    tags = {**TAGS, newer: event(3, "req-8888888888", previous=None)}
    [(reason, message)] = failures(signed(), tags)
    assert reason == "superseded"
    assert (
        "req-8888888888 (at 2026-11-26T10:02:00Z) recorded v3 as it found it in Production, "
        "moved there outside promobot, and a record vouches for nothing" in message
    )
    assert "promobot must carry v3 out there itself" in message
    assert "a rollback to the version before it" in message


def test_newer_events_of_other_targets_unsigned_or_untrusted_do_not_count() -> None:
    later = [f"{EVENT_PREFIX}{1_795_000_000_001 + n:013d}.{1:020d}.req-{n}" for n in range(4)]
    other_key = Ed25519PrivateKey.generate()
    tags = {
        **TAGS,
        later[0]: event(4, target_label="Staging"),
        later[1]: json.dumps({"target_label": "Production", "version": 4, "request": "r"}),
        later[2]: json.dumps(sign({"target_label": "Production", "version": 4}, other_key)),
        later[3]: "not json",
    }
    assert failures(signed(), tags) == []


def test_the_newest_event_must_match_the_receipt() -> None:
    # The newest key is the receipt's, but it says another request and version.
    tags = {EVENT: event(5, "req-5555555555")}
    [(reason, message)] = failures(signed(), tags)
    assert reason == "superseded"
    assert "v5 (req-5555555555" in message


def test_no_signed_execution_in_the_trail() -> None:
    [(reason, message)] = failures(signed(), {})
    assert reason == "superseded"
    assert "there is no signed execution of Production in the trail" in message


def test_an_unknown_format_is_not_read() -> None:
    [(reason, message)] = failures(signed(v=2))
    assert reason == "no-receipt"
    assert "format 2, which this promobot does not read" in message


def test_every_failure_is_listed_for_a_warning() -> None:
    forged = {**json.loads(signed()), "version": 2}
    assert [reason for reason, _ in failures(json.dumps(forged))] == [
        "bad-signature",
        "wrong-target",
    ]


def test_changed_files_and_a_missing_digest() -> None:
    now = "sha256:" + "00" * 32
    problem = digest_problem(ABOUT, receipt(), now)
    assert problem is not None and problem.reason == "artifacts"
    assert str(problem).startswith(
        f"the files of v3 changed after promobot carried it out: {DIGEST} was approved, "
        f"{now} is there now"
    )
    missing = digest_problem(ABOUT, receipt(artifact_digest=None), now)
    assert missing is not None and missing.reason == "artifacts"
    assert "records no artifact digest" in str(missing)
    assert (missing.model, missing.version, missing.target) == (
        "sentiment-classifier",
        3,
        "Production",
    )


def test_receipt_tags_name_their_target() -> None:
    assert target_of("promobot.receipt.Production") == "Production"
    assert target_of("promobot.receipt.champion") == "@champion"
