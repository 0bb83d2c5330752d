"""Compaction with signed records (bot/core/service/signed_records.py), on a real SQLite
registry with a real Ed25519 key: the records that move keep their signatures and still
count when read back from the ledger; a record whose signature does not check is left
out of every decision wherever it is. What the promobot that compacts does with it:
signing on, it never sees it (reads leave it out), so it stays on the model, where the
audit names it; a promobot without a key moves it, and a signing promobot still leaves
it out when it reads the ledger (docs/contract.md, "Bounded")."""

from __future__ import annotations

import json

import pytest
from conftest import SERVICE_POLICY, Clock, ModelFactory
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from service_helpers import M, run
from test_archive import _history
from test_signed_records import pem

from bot.adapters.keys import Ed25519Signatures
from bot.adapters.mlflow.gateway import Registry
from bot.core.policy import load_policy
from bot.core.service import Service, archive
from bot.core.service.common import Outside
from bot.core.state import compaction, keys
from bot.core.state.signed import is_signed_record


@pytest.fixture
def signed(tracking_uri: str, clock: Clock, models: ModelFactory) -> Service:
    """A signing promobot, and M's history written by it."""
    service = Service(
        Registry(tracking_uri),
        load_policy(SERVICE_POLICY),
        clock=clock,
        outside=Outside(signatures=Ed25519Signatures(pem(Ed25519PrivateKey.generate()), "")),
    )
    _history(service, models, clock)
    return service


def _forge(models: ModelFactory, registry: Registry) -> str:
    """An unsigned approval on a request the compaction moves: someone with tag access."""
    plan = compaction.split(registry.get_model(M).tags)
    rid = next(r for k in plan.archive if (r := keys.request_id_of(k)))
    forged = keys.approval_key(rid, "mallory")
    models.client.set_registered_model_tag(
        M, forged, json.dumps({"actor": "slack:U0MALLORY", "person": "mallory", "at": "x"})
    )
    return forged


def _reads(service: Service) -> tuple[str, str]:
    export = "\n".join(json.dumps(r.to_json()) for r in service.export.trail([M]))
    history = json.dumps(run(service, "cli", f"history {M} --limit 200").to_json(), default=str)
    return export, history


def _ledger(registry: Registry) -> dict[str, str]:
    return {k: v for page in archive.pages(registry, M) for k, v in page.items()}


def test_moved_records_keep_their_signatures_and_a_forged_one_stays_out(
    signed: Service, models: ModelFactory, tracking_uri: str
) -> None:
    raw = Registry(tracking_uri)
    forged = _forge(models, raw)
    tags_before = raw.get_model(M).tags  # type: ignore[union-attr]
    before = _reads(signed)

    (done,) = signed.compact([M])

    ledger = _ledger(raw)  # as stored, unchecked
    assert done.moved == len(ledger) > 0
    assert all(ledger[k] == tags_before[k] for k in ledger)  # values unchanged
    assert any(is_signed_record(k) and '"sig"' in v for k, v in ledger.items())
    assert len(_ledger(signed.registry)) == len(ledger)  # every one checks when read back
    assert _reads(signed) == before  # and counts as it did on the model
    # The forged approval: never seen by the signing compaction, so still on the model,
    # still left out, still named.
    assert forged not in ledger and forged in raw.get_model(M).tags  # type: ignore[union-attr]
    info = signed.registry.get_model(M)
    assert info is not None and forged in dict(info.rejected)


def test_a_forged_record_moved_by_a_promobot_without_a_key_stays_out(
    signed: Service, models: ModelFactory, tracking_uri: str, clock: Clock
) -> None:
    raw = Registry(tracking_uri)
    forged = _forge(models, raw)
    before = _reads(signed)

    unsigned = Service(raw, load_policy(SERVICE_POLICY), clock=clock)
    (moved,) = unsigned.compact([M])
    assert moved.moved > 0

    assert forged in _ledger(raw)  # moved, as it was
    assert forged not in _ledger(signed.registry)  # and left out when read back
    assert _reads(signed) == before
