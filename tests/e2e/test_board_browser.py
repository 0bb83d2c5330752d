"""The release board in a real browser (Debian's chromium through selenium), against a
real `promobot serve`, a real guarded `mlflow server` and a real Prometheus: the overview
lists the models and holders; a model's timeline has one segment per version held and
promobot's rollback marker after the bad version; the chart draws the threshold; a
pending request names who may approve; the trail pages; hostile text stays text (no
script runs); without credentials the board answers 401; axe-core finds no serious or
critical violation. Screenshots go to tests/.artifacts/board/, the README's among them
(readme.png: the top of the model page, 1200 × 900); with PROMOBOT_README_SHOT=1 the
README's copy, docs/img/board.png, is written too (opt-in: the scene's model names and
times differ every run, and a test run should not change a tracked file)."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from browser import ARTIFACTS, README_SHOT, axe_source, axe_violations, browser, viewport_shot
from conftest import FIXTURES
from servers import PASSWORDS, Guarded, guarded_sqlite
from service_helpers import run

from bot.adapters.mlflow.gateway import Registry
from bot.adapters.prometheus import PrometheusClient
from bot.core.policy import load_policy
from bot.core.service import Outside, Service

pytestmark = pytest.mark.server

POLICY = FIXTURES / "board_policy.yaml"
GIT_TAGS = {"git_commit": "ab" * 20, "git_repository": "acme/models", "git_branch": "main"}
EVIL = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
RATE = 'model_error_rate{{model="{model}",version="{version}"}}'


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    with guarded_sqlite(tmp_path_factory.mktemp("board-guarded"), POLICY) as found:
        yield found


@pytest.fixture(scope="module")
def scene(guarded: Guarded, prometheus: Any, exporter: Any) -> dict[str, str]:
    """board-shop: v1 then v2 on production, v2 bad and rolled back by promobot; a
    pending staging request; @champion moved back and forth (a trail of two pages);
    a reason with script payloads. board-plain: one version, nothing moved."""
    shop = f"board-shop-{uuid.uuid4().hex[:6]}"
    guarded.ci_versions(shop, 2, GIT_TAGS)
    guarded.ci_versions(f"board-plain-{uuid.uuid4().hex[:6]}", 1, GIT_TAGS)
    with guarded.as_user("promobot"):
        service = Service(
            Registry(guarded.url),
            load_policy(POLICY),
            outside=Outside(prometheus=PrometheusClient(prometheus.url)),
        )
        exporter.set(shop, 1, error_rate=0.004)
        exporter.set(shop, 2, error_rate=0.004)
        for n in range(13):
            for version in (1, 2):
                said = run(
                    service, "github:alice", f"promote {shop} v{version} @champion round {n}"
                )
                assert said.status == "done", said.reasons
        # v1: @champion holds v2 after the rounds, and a promotion of the holder moves nothing.
        assert run(service, "github:bob", f"promote {shop} v1 @champion {EVIL}").status == "done"
        assert run(service, "github:alice", f"promote {shop} v1 production first").status == "done"
        time.sleep(2)
        assert run(service, "github:alice", f"promote {shop} v2 production second").status == "done"
        exporter.set(shop, 2, error_rate=0.071)
        prometheus.wait_for(RATE.format(model=shop, version=2), 0.071, timeout=20)
        for _ in range(30):
            if service.verify().failed:
                break
            time.sleep(1)
        else:
            raise AssertionError("promobot never rolled v2 back")
        pending = run(service, "github:bob", f"promote {shop} v2 staging needs a lead")
        assert pending.status == "pending", pending.reasons
    return {"model": shop, "request": str(pending.request_id)}


@pytest.fixture(scope="module")
def serve(
    guarded: Guarded, prometheus: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with guarded.serving(
        tmp_path_factory.mktemp("serve-board"),
        SLACK_SIGNING_SECRET="8f14e45fceea167a5a36dedd4bea2543",
        PROMOBOT_PROMETHEUS_URL=prometheus.url,
    ) as url:
        yield url


@pytest.fixture(scope="module")
def driver(serve: str) -> Iterator[Any]:
    found = browser()
    try:
        # The reader's MLflow credentials on every request (the browser's Basic auth); the
        # page's own CSP is bypassed for axe's injection only: no script of the page's
        # could run anyway, and a payload that did would still be caught below.
        found.execute_cdp_cmd("Network.enable", {})
        token = requests.auth._basic_auth_str("eng", PASSWORDS["eng"])  # type: ignore[attr-defined]
        found.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": token}})
        found.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})
        yield found
    finally:
        found.quit()


def shoot(driver: Any, name: str, width: int = 1280) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(int(height) + 40, 600), 6000))
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def serious(driver: Any) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in axe_violations(driver, axe_source())
        if v.get("impact") in ("serious", "critical")
    ]


def test_without_credentials_the_board_answers_401(serve: str, scene: dict[str, str]) -> None:
    for auth in (None, ("eng", "wrong-password")):
        answer = requests.get(f"{serve}/releases", auth=auth, timeout=60)
        assert answer.status_code == 401, auth
        assert answer.headers["WWW-Authenticate"].startswith("Basic")
        assert scene["model"] not in answer.text
    answer = requests.get(f"{serve}/releases", auth=("eng", PASSWORDS["eng"]), timeout=60)
    assert answer.status_code == 200
    assert "script-src" not in answer.headers["Content-Security-Policy"]


def test_the_overview_lists_the_models_and_their_holders(
    driver: Any, serve: str, scene: dict[str, str]
) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{serve}/releases")
    names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "section.model h2 a")]
    assert scene["model"] in names and any(n.startswith("board-plain-") for n in names)
    section = next(
        s
        for s in driver.find_elements(By.CSS_SELECTOR, "section.model")
        if s.find_element(By.CSS_SELECTOR, "h2").text == scene["model"]
    )
    rows = {
        r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")
        for r in section.find_elements(By.CSS_SELECTOR, "tbody tr")
    }
    assert rows["Production"][1].text == "v1"
    assert "failed, rolled back" in rows["Production"][5].text
    assert rows["@champion"][1].text == "v1"
    assert "1 pending request(s)" in section.text
    assert "not guarded" not in driver.page_source
    assert serious(driver) == []
    shoot(driver, "overview")
    shoot(driver, "overview-phone", width=390)
    assert driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def test_the_model_page_draws_its_story(driver: Any, serve: str, scene: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    driver.set_window_size(1280, 1800)
    driver.get(f"{serve}/releases/{scene['model']}")
    rows = driver.execute_script(
        "return [...document.querySelectorAll('svg.timeline g.seg')].map("
        "g => [g.querySelector('title').textContent, g.dataset.version,"
        " Number(g.querySelector('rect').getAttribute('x'))])"
    )
    production = [(v, x) for title, v, x in rows if " held Production " in title]
    assert [v for v, _ in production] == ["1", "2", "1"]
    marker = driver.execute_script(
        "const m = document.querySelector('svg.timeline g.mark.auto-rollback');"
        "return m && Number(m.querySelector('circle').getAttribute('cx'));"
    )
    assert marker is not None and marker >= production[1][1]  # after the bad version began
    assert driver.find_elements(By.CSS_SELECTOR, "svg.chart g.threshold line")
    assert driver.find_elements(By.CSS_SELECTOR, "svg.chart g.rollback")
    assert driver.find_elements(By.CSS_SELECTOR, "svg.chart polyline.series")
    waiting = driver.find_element(By.CSS_SELECTOR, "table.waiting").text
    assert "1 more from leads: alice" in waiting
    assert f"approve {scene['request']}" in waiting
    # Hostile text is text: it shows as typed, and nothing in it ran.
    assert driver.execute_script("return window.__pwned === undefined")
    assert "window.__pwned=1" in driver.find_element(By.TAG_NAME, "main").text
    assert driver.execute_script("return document.querySelectorAll('script, img').length") == 0
    assert serious(driver) == []
    readme = viewport_shot(driver, ARTIFACTS / "readme.png")
    print(f"screenshot: {readme} ({readme.stat().st_size:,} bytes)")
    if os.environ.get("PROMOBOT_README_SHOT") == "1":
        shutil.copyfile(readme, README_SHOT)
        print(f"screenshot: {README_SHOT} written")
    shoot(driver, "model")
    shoot(driver, "model-phone", width=390)


def test_the_trail_pages(driver: Any, serve: str, scene: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{serve}/releases/{scene['model']}")
    first = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "table.trail tbody tr")]
    driver.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    assert "page 2" in driver.find_element(By.CSS_SELECTOR, "#trail").text
    second = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "table.trail tbody tr")]
    assert len(first) == 25 and second and not set(first) & set(second)
    assert driver.find_elements(By.CSS_SELECTOR, "a[rel=prev]")
    csv = requests.get(
        f"{serve}/releases/{scene['model']}/trail.csv",
        auth=("eng", PASSWORDS["eng"]),
        timeout=60,
    )
    assert csv.status_code == 200 and csv.text.count("\n") >= len(first) + len(second)
