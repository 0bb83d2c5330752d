"""The serve image, built here and run with podman (`make image-test`; `make test` does not
collect this folder: pyproject.toml's norecursedirs).

No image registry is reachable from these machines, so the image is built on a local
Debian bookworm base made with mmdebstrap (deploy/local/images.sh; how podman runs here:
docs/deploy.md, "Building here"). PROMOBOT_IMAGE names an image built beforehand instead.

What the run measured (the image's size, the time to ready, the time to stop) is printed
at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from podman_image import IMAGES, LOCAL_IMAGE, MEASURED, Image, podman_env


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    missing = [tool for tool in ("podman", "mmdebstrap") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: as root, apt-get install podman runc mmdebstrap "
            "buildah uidmap slirp4netns fuse-overlayfs (.ci/run does)",
            pytrace=False,
        )
    if given := os.environ.get("PROMOBOT_IMAGE"):
        return Image(given)
    log = tmp_path_factory.mktemp("build") / "build.log"
    started = time.monotonic()
    with open(log, "wb") as out:
        done = subprocess.run(
            ["bash", str(IMAGES), "serve"], env=podman_env(), stdout=out, stderr=out, timeout=1200
        )
    if done.returncode != 0:
        pytest.fail(f"the image did not build:\n{log.read_text()[-4000:]}", pytrace=False)
    built = Image(LOCAL_IMAGE, built_in_s=time.monotonic() - started)
    MEASURED["built in"] = f"{built.built_in_s:.0f} s (deploy/local/images.sh serve)"
    return built


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("image-test")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not MEASURED:
        return
    terminalreporter.section("the serve image, as measured")
    for what, value in MEASURED.items():
        terminalreporter.write_line(f"{what:>12}: {value}")
