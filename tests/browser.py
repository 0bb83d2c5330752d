"""A real browser for the tests: Debian's chromium driven by selenium through Debian's
chromium-driver, and axe-core (from its npm package) to inject for accessibility checks.

Like Prometheus (tests/prometheus_servers.py), what is missing is set up where it can
be: chromium-driver with apt-get (as root, or through sudo), axe-core with `npm pack`
into tests/.cache/axe-core/. What still cannot be found skips the test with the reason,
or, under CI (CI=true or PROMOBOT_REQUIRE_BROWSER=1, which .ci/run sets), fails it.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "tests" / ".cache" / "axe-core"
ARTIFACTS = REPO / "tests" / ".artifacts" / "board"
README_SHOT = REPO / "docs" / "img" / "board.png"
AXE_VERSION = "4.10.3"


def required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "PROMOBOT_REQUIRE_BROWSER", ""
    ) not in ("", "0")


def missing(reason: str) -> None:
    """Fail under CI, skip elsewhere: the browser test never passes without a browser."""
    if required():
        pytest.fail(f"{reason} (CI: a failure, not a skip)")
    pytest.skip(reason)


def _apt_install(*packages: str) -> None:
    if shutil.which("apt-get") is None:
        return
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if sudo is None:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = [*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    done = subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)
    if done.returncode != 0:  # the package lists may be stale: once more after an update
        subprocess.run(
            [*sudo, "apt-get", "update", "-q"],
            env=env,
            capture_output=True,
            timeout=600,
            check=False,
        )
        subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)


def chromedriver() -> tuple[str, str]:
    """(chromium, chromedriver), installing Debian's packages when they are missing."""
    if shutil.which("chromedriver") is None or shutil.which("chromium") is None:
        _apt_install("chromium", "chromium-driver")
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        missing("no chromium or chromedriver (Debian: apt-get install chromium chromium-driver)")
    assert browser is not None and driver is not None
    return browser, driver


def axe_source() -> str:
    """axe.min.js from the axe-core npm package, packed once into tests/.cache/."""
    script = CACHE / f"axe-{AXE_VERSION}.min.js"
    if script.exists():
        return script.read_text()
    CACHE.mkdir(parents=True, exist_ok=True)
    if shutil.which("npm") is None:
        missing("no npm to fetch axe-core (npm pack axe-core)")
    done = subprocess.run(
        ["npm", "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(CACHE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    packed = CACHE / f"axe-core-{AXE_VERSION}.tgz"
    if done.returncode != 0 or not packed.exists():
        missing(f"npm pack axe-core failed: {done.stderr.strip()[-300:]}")
    with tarfile.open(packed) as archive:
        member = archive.extractfile("package/axe.min.js")
        assert member is not None
        script.write_bytes(member.read())
    return script.read_text()


def browser() -> Any:
    """A headless chromium (selenium's Chrome driver), with the DevTools protocol on."""
    try:
        from selenium import webdriver
    except ImportError:
        missing("no selenium (pip install -e '.[dev]')")
    from selenium.webdriver.chrome.service import Service

    chromium, driver = chromedriver()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1800")
    return webdriver.Chrome(service=Service(driver), options=options)


def axe_violations(driver: Any, source: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page now (its default rules: WCAG 2.x A and AA)."""
    driver.execute_script(source)
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));"
    )
    return list(found)


def viewport_shot(driver: Any, path: Path, width: int = 1200, height: int = 900) -> Path:
    """The top of the page as a reader of the README sees it: a desktop viewport of
    exactly `width` × `height` CSS pixels at scale 1, as chromium's own PNG (selenium's
    screenshot; no image library). The viewport is set through the DevTools protocol,
    not the window, whose size includes what headless chromium counts as its frame."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        driver.execute_script("window.scrollTo(0, 0)")
        png = driver.get_screenshot_as_png()
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    if png_size(png) != (width, height):
        raise AssertionError(f"the screenshot is {png_size(png)}, not {(width, height)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header chunk (IHDR: the 8-byte signature, its
    length and type, then the two sizes)."""
    width, height = struct.unpack(">II", png[16:24])
    return width, height
