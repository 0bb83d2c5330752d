"""promobot-serving (serving/pyproject.toml): the `promobot` package alone, for deployment
code, with nothing of the application (bot/) and only MLflow's client and `cryptography`
as requirements — what the issue's "a public import that needs only mlflow and
cryptography" asks, installable as docs/deploy.md tells a model server to."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The application's requirements: none may reach a model server through promobot-serving.
APPLICATION = {"bot", "pydantic_settings", "slack_bolt", "slack_sdk", "github", "gunicorn"}


def _wheel(tmp_path: Path) -> Path:
    """promobot-serving's wheel, built from a copy of serving/ and promobot/ as pip builds
    it from a clone (`pip install ./serving`)."""
    shutil.copytree(REPO / "serving", tmp_path / "serving")
    shutil.copytree(
        REPO / "promobot", tmp_path / "promobot", ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            "-w",
            str(tmp_path / "dist"),
            str(tmp_path / "serving"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = (tmp_path / "dist").glob("promobot_serving-*.whl")
    return wheel


def test_the_serving_wheel_holds_the_promobot_package_and_needs_only_mlflow_and_cryptography(
    tmp_path: Path,
) -> None:
    wheel = _wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zipped:
        modules = {n for n in zipped.namelist() if not n.startswith("promobot_serving-")}
        [metadata] = [n for n in zipped.namelist() if n.endswith(".dist-info/METADATA")]
        lines = zipped.read(metadata).decode().splitlines()
    assert modules == {f"promobot/{p.name}" for p in (REPO / "promobot").glob("*.py")}
    requires = {
        line.removeprefix("Requires-Dist: ") for line in lines if line.startswith("Requires-Dist:")
    }
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    same = {d for d in project["dependencies"] if d.startswith(("mlflow-skinny", "cryptography"))}
    assert requires == same == {"mlflow-skinny==3.17.*", "cryptography>=42"}
    version = tomllib.loads((REPO / "serving" / "pyproject.toml").read_text())["project"]["version"]
    assert version == project["version"]

    # Installed alone (here: unpacked onto the path), the loader imports nothing of bot/.
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import promobot.serving as s;"
        "assert s.__file__.startswith(sys.argv[1]), s.__file__;"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(APPLICATION)!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(unpacked)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert out.stdout.strip() == "[]"


def test_load_model_without_what_pyfunc_needs_says_what_to_install(tmp_path: Path) -> None:
    # mlflow-skinny and cryptography alone: verify() works, load_model's pyfunc cannot
    # import; the message says so instead of a bare "No module named 'numpy'".
    code = (
        "import sys; sys.modules['numpy'] = None; sys.modules['pandas'] = None\n"
        "from promobot.serving import load_model\n"
        "try:\n"
        "    load_model('models:/sentiment-classifier/Production', trusted_keys='')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=REPO,
    )
    said = out.stdout.strip()
    assert "mlflow.pyfunc" in said and "no module numpy" in said
    assert "Install mlflow, or numpy and pandas beside mlflow-skinny" in said
