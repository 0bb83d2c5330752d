"""`promobot keys generate` and `promobot keys id` (bot/doors/cli/keys.py), through the
CLI's own entry point."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from bot.cli import main
from promobot.keys import key_id, private_key, public_keys
from promobot.signatures import sign, verify


def test_generate_writes_the_pair_and_says_what_to_set(tmp_path: Path, capsys) -> None:
    out = tmp_path / "keys"
    assert main(["keys", "generate", "--out", str(out)]) == 0
    text, err = capsys.readouterr()
    private, public = out / "promobot-signing.pem", out / "promobot-signing.pub.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    key = private_key(str(private))
    kid = key_id(key.public_key())
    assert set(public_keys(str(public))) == {kid}
    lines = text.splitlines()
    assert lines[0] == f"key id {kid}"
    assert lines[-2:] == [f"PROMOBOT_SIGNING_KEY={private}", f"PROMOBOT_TRUSTED_KEYS={public}"]
    assert err == ""
    # The pair works: what the private key signs, the public key verifies.
    assert verify(sign({"a": 1}, key), public_keys(str(public))) == ""


def test_generate_refuses_to_replace_a_key_unless_forced(tmp_path: Path, capsys) -> None:
    assert main(["keys", "generate", f"--out={tmp_path}"]) == 0
    first = (tmp_path / "promobot-signing.pem").read_text()
    capsys.readouterr()
    assert main(["keys", "generate", "--out", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        "promobot-signing.pem already exists: keep that key pair, or run again with --force" in err
    )
    assert (tmp_path / "promobot-signing.pem").read_text() == first
    (tmp_path / "promobot-signing.pem").chmod(0o644)
    assert main(["keys", "generate", "--out", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "promobot-signing.pem").read_text() != first
    assert stat.S_IMODE((tmp_path / "promobot-signing.pem").stat().st_mode) == 0o600


def test_generate_json(tmp_path: Path, capsys) -> None:
    assert main(["keys", "generate", "--out", str(tmp_path), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["status"], body["action"]) == ("done", "keys")
    assert body["data"]["settings"][0].startswith("PROMOBOT_SIGNING_KEY=")
    assert len(body["data"]["key_id"]) == 16


def test_id_of_a_private_key_a_public_key_and_a_pem(tmp_path: Path, capsys) -> None:
    main(["keys", "generate", "--out", str(tmp_path)])
    kid = capsys.readouterr().out.splitlines()[0].removeprefix("key id ")
    public = tmp_path / "promobot-signing.pub.pem"
    for given in (str(tmp_path / "promobot-signing.pem"), str(public), public.read_text()):
        assert main(["keys", "id", given]) == 0
        assert capsys.readouterr().out == f"{kid}\n"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["keys", "generate"], 2, "keys generate needs --out DIR"),
        (["keys", "generate", "--out"], 2, "keys generate needs --out DIR"),
        (["keys", "generate", "--out", "x", "--bits", "4096"], 2, "unexpected '--bits'"),
        (["keys", "rotate"], 2, "unknown subcommand 'rotate'"),
        (["keys", "id"], 2, "usage: `promobot keys id PATH|PEM`"),
        (["keys", "id", "/no/such.pem"], 1, "the key file /no/such.pem does not exist"),
    ],
)
def test_mistakes_say_what_to_write(capsys, args: list[str], code: int, says: str) -> None:
    assert main(args) == code
    out, err = capsys.readouterr()
    assert says in err
    assert "Traceback" not in out + err


def test_help(capsys) -> None:
    assert main(["keys", "--help"]) == 0
    assert "usage: promobot keys generate --out DIR [--force]" in capsys.readouterr().out
    assert main(["--server", "http://promobot.example", "keys", "id", "x"]) == 2
    assert "`promobot keys` runs here: leave out --server" in capsys.readouterr().err
