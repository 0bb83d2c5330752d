"""podman on these machines, for the image test (tests/image/): its settings
(CONTAINERS_CONF, from deploy/local/images.sh), a podman call that fails with podman's own
words, the image built on the local base, and the figures the run measured."""

from __future__ import annotations

import functools
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "deploy" / "local" / "images.sh"
LOCAL_IMAGE = "localhost/promobot:local"
MEASURED: dict[str, str] = {}


@functools.cache
def _containers_conf() -> tuple[str, str]:
    line = subprocess.run(
        ["bash", str(IMAGES), "env"], capture_output=True, text=True, check=True
    ).stdout.strip()
    key, _, value = line.removeprefix("export ").partition("=")
    return key, value


def podman_env() -> dict[str, str]:
    """This process's environment with podman's settings for these machines
    (CONTAINERS_CONF: runc, cgroupfs, ulimits), as deploy/local/images.sh makes them."""
    key, value = _containers_conf()
    return {**os.environ, key: value}


def podman(
    *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["podman", *args],
        env=podman_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])}… failed:\n{done.stderr[-3000:]}")
    return done


@dataclass
class Image:
    name: str
    built_in_s: float | None = None

    def inspect(self) -> dict[str, object]:
        return json.loads(podman("image", "inspect", self.name).stdout)[0]
