"""`promobot keys`: make promobot's signing key pair, and say which key a file holds.

    promobot keys generate --out DIR [--force]
    promobot keys id PATH|PEM

The private key signs promobot's records and receipts (PROMOBOT_SIGNING_KEY); the public
key is what deployment code trusts (PROMOBOT_TRUSTED_KEYS). Nothing here talks to MLflow.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.core.results import envelope
from bot.doors.answer import STDERR, Answer, usage_answer
from bot.doors.common import ExitCode
from promobot.keys import (
    KeyProblem,
    any_public_key,
    key_id,
    new_key,
    private_pem,
    public_pem,
)

PRIVATE_FILE = "promobot-signing.pem"
PUBLIC_FILE = "promobot-signing.pub.pem"

KEYS_HELP = f"""\
usage: promobot keys generate --out DIR [--force]
       promobot keys id PATH|PEM

generate   make a new Ed25519 key pair in DIR (created if missing): {PRIVATE_FILE}
           (the private key, mode 0600) and {PUBLIC_FILE} (the public key); print its
           key id and the two settings to set. It refuses to replace either file
           unless --force is given.
id         print the key id (16 hex digits: what a signature's `kid` names) of a
           public or private key, given as a file's path or as the PEM itself.

Put the private key where promobot carries out promotions (`promobot serve`, the CLI), as
a Secret: PROMOBOT_SIGNING_KEY=<its path, or the PEM>. Give the public key to every
process that loads models: PROMOBOT_TRUSTED_KEYS=<paths or PEMs, separated by commas,
semicolons or new lines; a folder for all its *.pem and *.pub>. To rotate: generate a
new pair, add its public key to PROMOBOT_TRUSTED_KEYS beside the old one, switch
PROMOBOT_SIGNING_KEY to the new private key, and drop the old public key once every
version that serves carries a receipt signed with the new one.

Exit status: 0 done, 1 refused (files already there, not a key), 2 usage error.
"""


def run_keys(args: list[str], as_json: bool) -> int:
    if not args or any(a in ("-h", "--help", "help") for a in args):
        print(KEYS_HELP, end="")
        return ExitCode.OK
    if args[0] == "generate":
        return _generate(args[1:], as_json)
    if args[0] == "id":
        return _key_id(args[1:], as_json)
    return _usage(
        f"unknown subcommand {args[0]!r}; there are `generate --out DIR` and `id`", as_json
    )


def _generate(args: list[str], as_json: bool) -> int:
    force = "--force" in args
    args = [a for a in args if a != "--force"]
    out, problem = _out_option(args)
    if problem:
        return _usage(problem, as_json)
    folder = Path(out).expanduser().resolve()
    private, public = folder / PRIVATE_FILE, folder / PUBLIC_FILE
    there = [p for p in (private, public) if p.exists()]
    if there and not force:
        return _refused(
            f"{there[0]} already exists: keep that key pair, or run again with --force to "
            "replace it (then keep its old public key in PROMOBOT_TRUSTED_KEYS while "
            "versions it signed still serve)",
            as_json,
        )
    key = new_key()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write(private, private_pem(key), 0o600)
        _write(public, public_pem(key), 0o644)
    except OSError as exc:
        return _refused(f"cannot write the key pair in {folder}: {exc.strerror or exc}", as_json)
    kid = key_id(key.public_key())
    settings = [f"PROMOBOT_SIGNING_KEY={private}", f"PROMOBOT_TRUSTED_KEYS={public}"]
    text = "\n".join(
        [
            f"key id {kid}",
            f"wrote {private} (the private key, mode 0600: keep it in a Secret, never commit it)",
            f"wrote {public} (the public key: give it to deployment code)",
            "Set these settings (promobot signs with the first; model loaders trust the second):",
            *settings,
        ]
    )
    data = {"key_id": kid, "private_key": str(private), "public_key": str(public)}
    return _done(text, {**data, "settings": settings}, as_json)


def _key_id(args: list[str], as_json: bool) -> int:
    if len(args) != 1:
        return _usage("usage: `promobot keys id PATH|PEM` (one key)", as_json)
    try:
        kid = key_id(any_public_key(args[0]))
    except KeyProblem as exc:
        return _refused(str(exc), as_json)
    return _done(kid, {"key_id": kid}, as_json)


def _write(path: Path, text: str, mode: int) -> None:
    # Created with its mode, never readable by others for a moment; a file replaced with
    # --force gets the mode too, whatever it had.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)


def _out_option(args: list[str]) -> tuple[str, str]:
    """(DIR, "") from `--out DIR` or `--out=DIR`, else ("", the problem)."""
    out = ""
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word.startswith("--out="):
            out = word.removeprefix("--out=")
        elif word == "--out":
            out = rest.pop(0) if rest and not rest[0].startswith("--") else ""
        else:
            return "", f"unexpected {word!r}: usage `promobot keys generate --out DIR [--force]`"
    if not out.strip():
        return "", "keys generate needs --out DIR: the folder to write the key pair in"
    return out, ""


def _done(text: str, data: dict[str, object], as_json: bool) -> int:
    body = envelope("done", [], action="keys", data=data)
    return Answer(ExitCode.OK, body, text, ascii_json=False).show(as_json)


def _refused(problem: str, as_json: bool) -> int:
    body = envelope("refused", [problem], action="keys")
    return Answer(ExitCode.REFUSED, body, f"promobot keys: {problem}", STDERR).show(as_json)


def _usage(problem: str, as_json: bool) -> int:
    return usage_answer(problem).show(as_json)
