"""MLflow webhooks in the service (bot/core/service/webhooks.py), on a real SQLite registry:
what each delivery does, delivery ids remembered and pruned, and the one webhook named
`promobot` created, updated and left alone."""

from __future__ import annotations

import time

import pytest
from service_helpers import M, run, to_production

from bot.adapters.mlflow.gateway import Registry
from bot.core import events, state
from bot.core.ports.registry import RegistryError
from bot.core.service.webhooks import (
    ALREADY,
    CREATED,
    EVENTS,
    UPDATED,
    Delivery,
    WebhookInstall,
    fingerprint,
)

URL = "https://promobot.example.com/mlflow/webhook"
SECRET = "a-long-random-secret-0123456789abcdef"


class Announced:
    """Stands in for the announcement (another branch's) and records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def __call__(self, model: str, version: int) -> None:
        self.calls.append((model, version))


class Published:
    def __init__(self) -> None:
        self.events: list[events.Event] = []

    def notify(self, event: events.Event) -> None:
        self.events.append(event)


@pytest.fixture
def announced(service) -> Announced:
    recorder = Announced()
    service.announce_version = recorder
    return recorder


@pytest.fixture
def drift_found(service) -> Published:
    published = Published()
    service.events.subscribe(published, (events.DRIFT_FOUND,))
    return published


def delivery_tags(models, model: str = M) -> dict[str, str]:
    return {
        k: v
        for k, v in models.model_tags(model).items()
        if k.startswith("mlflow.promobot.webhook.")
    }


# ---- deliveries --------------------------------------------------------------------------------


def test_a_new_version_of_a_governed_model_is_announced_once(
    service, models, two_versions, announced
) -> None:
    _, v2 = two_versions
    delivery = Delivery("d-1", "model_version.created", {"name": M, "version": str(v2)})

    assert service.receive_webhook(delivery) == f"model_version.created: {M} v{v2} announced"
    assert announced.calls == [(M, v2)]
    assert delivery_tags(models) == {"mlflow.promobot.webhook.d-1": "2026-11-25T10:00:00Z"}

    again = service.receive_webhook(delivery)
    assert again == f"model_version.created on {M}: delivery d-1 seen before; ignored"
    assert announced.calls == [(M, v2)]


def test_models_the_policy_does_not_name_are_left_alone(service, models, announced) -> None:
    models.version("unrelated-model", accuracy=0.5)
    delivery = Delivery("d-2", "model_version.created", {"name": "unrelated-model", "version": "1"})

    outcome = service.receive_webhook(delivery)

    assert (
        outcome == "model_version.created on unrelated-model: the policy does not name it; ignored"
    )
    assert announced.calls == []
    assert delivery_tags(models, "unrelated-model") == {}


@pytest.mark.parametrize(
    ("event", "data", "said"),
    [
        ("registered_model.created", {"name": M}, "not an event promobot acts on"),
        ("model_version.created", {"name": M}, "no version number in the payload"),
        ("model_version.created", {"name": M, "version": "x"}, "no version number"),
        ("model_version_alias.created", {}, "(no model): the policy does not name it"),
        ("model_version.created", {"name": "promobot-lock.ab12", "version": "1"}, "does not name"),
    ],
)
def test_other_events_and_payloads_are_ignored(
    service, models, two_versions, announced, event, data, said
) -> None:
    assert said in service.receive_webhook(Delivery("d-3", event, data))
    assert announced.calls == []
    assert delivery_tags(models) == {}


def test_promobots_own_alias_changes_report_no_drift(
    service, models, two_versions, drift_found
) -> None:
    v1, _ = two_versions
    assert to_production(service, v1).status == "done"
    assert run(service, "github:alice", f"promote {M} v{v1} @champion ok").status == "done"

    for n, (event, alias) in enumerate(
        [("model_version_alias.created", "production"), ("model_version_alias.created", "champion")]
    ):
        data = {"name": M, "alias": alias, "version": str(v1)}
        said = service.receive_webhook(Delivery(f"own-{n}", event, data))
        assert said == f"{event}: {M} @{alias} audited, 0 new finding(s)"

    assert drift_found.events == []
    assert not [k for k in models.model_tags(M) if k.startswith("mlflow.promobot.drift.")]


def test_an_alias_set_outside_promobot_is_reported_once(
    service, models, two_versions, drift_found
) -> None:
    v1, v2 = two_versions
    assert run(service, "github:alice", f"promote {M} v{v1} @champion ok").status == "done"
    models.client.set_registered_model_alias(M, "champion", str(v2))
    data = {"name": M, "alias": "champion", "version": str(v2)}

    said = service.receive_webhook(Delivery("out-1", "model_version_alias.created", data))
    later = service.receive_webhook(Delivery("out-2", "model_version_alias.created", data))

    assert said == f"model_version_alias.created: {M} @champion audited, 1 new finding(s)"
    assert later == f"model_version_alias.created: {M} @champion audited, 0 new finding(s)"
    assert [(e.kind, e.result.drift[0].kind) for e in drift_found.events] == [
        ("drift_found", "outside")
    ]
    assert models.model_tags(M)[state.drift_key("@champion")] == f"outside:{v2}:{v1}:{v2}"


def test_an_alias_deleted_outside_promobot_is_an_orphan(
    service, models, two_versions, drift_found
) -> None:
    v1, _ = two_versions
    assert run(service, "github:alice", f"promote {M} v{v1} @champion ok").status == "done"
    models.client.delete_registered_model_alias(M, "champion")

    data = {"name": M, "alias": "champion"}
    said = service.receive_webhook(Delivery("del-1", "model_version_alias.deleted", data))

    assert said.endswith("audited, 1 new finding(s)")
    assert drift_found.events[0].result.drift[0].kind == "orphan"


def test_deliveries_older_than_a_day_are_forgotten_when_another_arrives(
    service, models, two_versions, announced, clock
) -> None:
    _, v2 = two_versions
    data = {"name": M, "version": str(v2)}
    service.receive_webhook(Delivery("old", "model_version.created", data))
    clock.advance(hours=23)
    service.receive_webhook(Delivery("recent", "model_version.created", data))
    models.client.set_registered_model_tag(M, "mlflow.promobot.webhook.garbled", "not a time")
    clock.advance(hours=2)

    service.receive_webhook(Delivery("new", "model_version.created", data))

    assert sorted(delivery_tags(models)) == [
        "mlflow.promobot.webhook.new",
        "mlflow.promobot.webhook.recent",
    ]
    assert delivery_tags(models)["mlflow.promobot.webhook.new"] == "2026-11-26T11:00:00Z"


def test_a_delivery_about_a_deleted_model_does_nothing(service, models, announced) -> None:
    delivery = Delivery("gone", "model_version.created", {"name": M, "version": "1"})
    assert service.deliveries.first_time(M, "gone") is False
    service.receive_webhook(delivery)
    assert announced.calls == []


# ---- promobot's webhook in MLflow --------------------------------------------------------------


@pytest.fixture
def install(tracking_uri, monkeypatch) -> WebhookInstall:
    # MLflow checks a webhook's host in the process that stores it (here, the SQLite
    # store in the test's own process); the test has no DNS to resolve example.com.
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    return WebhookInstall(Registry(tracking_uri))


def mlflow_webhooks(models) -> list:
    return list(models.client.list_webhooks())


def test_install_creates_then_finds_it_already_so(install, models) -> None:
    first = install.install(URL, SECRET)
    assert first.what == CREATED and first.webhook is not None
    [hook] = mlflow_webhooks(models)
    assert (hook.name, hook.url, str(hook.status)) == ("promobot", URL, "ACTIVE")
    assert sorted(str(e) for e in hook.events) == sorted(EVENTS)
    assert hook.secret == SECRET  # the SQL store gives it back in-process (REST never does)
    assert fingerprint(SECRET) in hook.description and SECRET not in hook.description

    again = install.install(URL, SECRET)
    assert (again.what, again.webhook.webhook_id) == (ALREADY, hook.webhook_id)
    assert [h.last_updated_timestamp for h in mlflow_webhooks(models)] == [
        hook.last_updated_timestamp
    ]


def test_install_updates_what_differs(install, models) -> None:
    hook_id = install.install(URL, SECRET).webhook.webhook_id
    models.client.update_webhook(hook_id, events=["model_version.created"], status="DISABLED")

    moved = install.install("https://elsewhere.example.com/mlflow/webhook", "another-secret")

    assert moved.what == UPDATED
    assert moved.changed == ("url", "events", "secret", "status")
    [hook] = mlflow_webhooks(models)
    assert hook.webhook_id == hook_id and hook.secret == "another-secret"
    assert hook.url == "https://elsewhere.example.com/mlflow/webhook"
    assert sorted(str(e) for e in hook.events) == sorted(EVENTS)
    assert str(hook.status) == "ACTIVE"


def test_a_description_edited_by_hand_is_put_back(install, models) -> None:
    hook_id = install.install(URL, SECRET).webhook.webhook_id
    models.client.update_webhook(hook_id, description="someone's notes")
    assert install.install(URL, SECRET).changed == ("secret",)  # the fingerprint went too
    kept = mlflow_webhooks(models)[0].description
    models.client.update_webhook(hook_id, description=kept + " Also: ours.")
    assert install.install(URL, SECRET).changed == ("description",)
    assert install.install(URL, SECRET).what == ALREADY


def test_install_keeps_one_webhook_named_promobot(install, models) -> None:
    oldest = install.install(URL, SECRET).webhook.webhook_id
    time.sleep(0.01)  # MLflow's creation times are milliseconds
    extra = models.client.create_webhook("promobot", URL, ["model_version.created"]).webhook_id
    models.client.create_webhook("someone-elses", URL, ["model_version.created"])

    done = install.install(URL, SECRET)

    assert done.what == ALREADY and done.removed == (extra,)
    names = sorted((h.name, h.webhook_id == oldest) for h in mlflow_webhooks(models))
    assert names == [("promobot", True), ("someone-elses", False)]


@pytest.mark.parametrize(
    ("url", "secret", "sentence"),
    [
        (
            "",
            SECRET,
            "No URL given: MLflow needs the address of `promobot serve`'s /mlflow/webhook",
        ),
        (
            "ftp://promobot/mlflow/webhook",
            SECRET,
            "'ftp://promobot/mlflow/webhook' is not an http(s) URL",
        ),
        ("https:///mlflow/webhook", SECRET, "is not an http(s) URL"),
        ("http://host:port/x", SECRET, "is not an http(s) URL"),
        (URL, "  ", "PROMOBOT_MLFLOW_WEBHOOK_SECRET is not set"),
    ],
)
def test_install_refuses_with_a_sentence(install, models, url, secret, sentence) -> None:
    done = install.install(url, secret)
    assert done.what == "" and sentence in done.refused
    assert mlflow_webhooks(models) == []


def test_install_notes_a_path_serve_does_not_answer(install) -> None:
    done = install.install("https://promobot.example.com/hooks", SECRET)
    assert done.notes == (
        "`promobot serve` answers deliveries at /mlflow/webhook; this URL has another path.",
    )


def test_a_file_store_has_no_webhooks(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    install = WebhookInstall(Registry((tmp_path / "mlruns").as_uri()))
    with pytest.raises(RegistryError) as caught:
        install.install(URL, SECRET)
    assert caught.value.kind == "unsupported"
    assert str(caught.value).startswith("webhooks need a SQL-backed tracking server: file://")


def test_mlflows_refusal_of_a_url_is_a_sentence(tracking_uri, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    install = WebhookInstall(Registry(tracking_uri))
    with pytest.raises(RegistryError) as caught:
        install.install("http://127.0.0.1:3000/mlflow/webhook", SECRET)
    assert caught.value.kind == "invalid"
    assert str(caught.value) == (
        "MLflow refused to create the webhook promobot: Invalid webhook URL scheme: 'http'. "
        "Allowed schemes are: https."
    )
