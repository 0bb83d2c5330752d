"""Ed25519 keys as promobot's settings give them: a PEM inline, or a path to one.

PROMOBOT_SIGNING_KEY names one private key; PROMOBOT_TRUSTED_KEYS any number of public
keys (several during a rotation), each entry inline or a file or a folder of them. A
problem is a KeyProblem whose sentence names the entry and what to do, and never
quotes a private key: messages end up in logs and chat.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)
# Anything that looks like the start of a PEM: a file full of these is read as PEMs, and
# an inline entry that has one but no complete block is a broken PEM, not a path.
PEM_START = "-----BEGIN "
PUBLIC_LABEL = "PUBLIC KEY"
# Folders hold public keys under these names; anything else there (a README) is left out.
KEY_SUFFIXES = (".pem", ".pub")
# Entries are separated by commas, semicolons or whitespace (one per line in a Secret).
SEPARATORS = re.compile(r"[,;\s]+")
# A key file larger than this is not a key: refuse it rather than read it whole.
MAX_KEY_FILE = 1 << 20
# A PEM's body without its BEGIN and END lines is never echoed: it may be a private key.
# Every Ed25519 PKCS8 private key's base64 starts with this (its fixed ASN.1 header).
PRIVATE_BODY_START = "MC4CAQAwBQYDK2Vw"
PEM_BODY = re.compile(r"[A-Za-z0-9+=][A-Za-z0-9+/=]{39,}")


class KeyProblem(ValueError):
    """A key setting that cannot be used, said as a sentence naming the entry."""


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw 32-byte public key: what a
    signature's `kid` names and what `promobot keys id` prints."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def private_key(text: str) -> Ed25519PrivateKey:
    """The signing key from a PKCS8 PEM (unencrypted) given inline, or from the file
    `text` names."""
    text = _unescaped(text).strip()
    if not text:
        raise KeyProblem("the signing key is empty: give a PEM, or the path of a file holding one")
    where = "the signing key given inline"
    if PEM_START not in text:
        path = Path(text).expanduser()
        where = f"the signing key file {_shown(path)}"
        text = _read(path, where)
    blocks = [m.group(0) for m in PEM_BLOCK.finditer(text)]
    if len(blocks) != 1:
        raise KeyProblem(
            f"{where} holds {len(blocks)} complete PEM blocks; it must hold exactly one "
            "private key (`promobot keys generate` writes one)"
        )
    try:
        key = serialization.load_pem_private_key(blocks[0].encode(), password=None)
    except (ValueError, TypeError):
        # The library's message may quote the key material: say only what it is not.
        raise KeyProblem(
            f"{where} is not an unencrypted PKCS8 private key PEM "
            "(`promobot keys generate` writes one)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{where} is not an Ed25519 key: promobot signs with Ed25519 only")
    return key


def public_keys(text: str) -> dict[str, Ed25519PublicKey]:
    """The trusted public keys, by key id: inline PEM blocks, and in the rest of the
    text paths of files (one or more PEMs each) or folders (every *.pem and *.pub)."""
    found: dict[str, Ed25519PublicKey] = {}
    text = _unescaped(text)
    for number, block in enumerate(PEM_BLOCK.finditer(text), start=1):
        _add(found, block.group(0), f"inline PEM block {number}")
    rest = PEM_BLOCK.sub(" ", text)
    if PEM_START in rest or "-----END " in rest:
        raise KeyProblem(
            "the trusted keys hold an incomplete PEM block (a BEGIN line without its END "
            "line, or the reverse): give each public key whole"
        )
    for entry in SEPARATORS.split(rest):
        if entry:
            _add_path(found, Path(entry).expanduser())
    return found


def _unescaped(text: str) -> str:
    """A PEM written on one line with `\\n` for its line breaks (an env file holds no
    multi-line value: compose's `.env`, many CI secret stores) as the PEM it stands for."""
    if PEM_START in text and "\\n" in text:
        return text.replace("\\n", "\n")
    return text


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The SubjectPublicKeyInfo PEM of a key (of a private key: its public half)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def any_public_key(text: str) -> Ed25519PublicKey:
    """The public key of one key given inline or by path, public or private (the
    private's public half): what `promobot keys id` prints the id of."""
    stripped = text.strip()
    source = stripped
    if stripped and PEM_START not in stripped:
        path = Path(stripped).expanduser()
        source = _read(path, f"the key file {_shown(path)}")
    label = next((m.group(1) for m in PEM_BLOCK.finditer(source)), "")
    if "PRIVATE KEY" in label:
        return private_key(stripped).public_key()
    keys = public_keys(stripped)
    if len(keys) != 1:
        raise KeyProblem(f"expected one key, found {len(keys)}: give one PEM or one file")
    return next(iter(keys.values()))


def _add_path(found: dict[str, Ed25519PublicKey], path: Path) -> None:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in KEY_SUFFIXES and p.is_file())
        if not files:
            raise KeyProblem(
                f"the trusted keys folder {path} holds no *.pem or *.pub file: put promobot's "
                "public key there, or name the file itself"
            )
        for file in files:
            _add_file(found, file)
        return
    _add_file(found, path)


def _shown(path: Path) -> str:
    """A path as a message may quote it: not when it is really a PEM's body pasted
    without its BEGIN and END lines (the secret itself, perhaps)."""
    text = str(path)
    if PRIVATE_BODY_START in text or PEM_BODY.fullmatch(text):
        return "(an entry that looks like a PEM's content without its BEGIN and END lines)"
    return str(path)


def _add_file(found: dict[str, Ed25519PublicKey], path: Path) -> None:
    text = _read(path, f"the trusted key file {_shown(path)}")
    blocks = [m.group(0) for m in PEM_BLOCK.finditer(text)]
    if not blocks:
        raise KeyProblem(
            f"the trusted key file {path} holds no PEM block: give promobot's public key "
            "(promobot-signing.pub.pem)"
        )
    for number, block in enumerate(blocks, start=1):
        where = f"{path}" if len(blocks) == 1 else f"{path}, PEM block {number}"
        _add(found, block, where)


def _add(found: dict[str, Ed25519PublicKey], pem: str, where: str) -> None:
    if "PRIVATE KEY" in pem.split("\n", 1)[0]:
        raise KeyProblem(
            f"the trusted keys hold a private key ({where}): give only public keys there "
            "(promobot-signing.pub.pem); keep the private key in PROMOBOT_SIGNING_KEY "
            "alone, and make a new key pair if it was shared"
        )
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        raise KeyProblem(f"{where} is not a public key PEM") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem(f"{where} is not an Ed25519 key: promobot signs with Ed25519 only")
    found[key_id(key)] = key


def _read(path: Path, where: str) -> str:
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise KeyProblem(f"{where} is larger than 1 MB: it is not a key")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyProblem(f"{where} does not exist: give a PEM, or the path of a file") from None
    except IsADirectoryError:
        raise KeyProblem(f"{where} is a folder: name the key file itself") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not text"
        raise KeyProblem(f"{where} cannot be read ({reason})") from None
