"""Keys as the settings give them: PEMs inline, files, folders, and every problem as a
sentence that names the entry and never shows a private key (promobot/keys.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from promobot.keys import (
    KeyProblem,
    any_public_key,
    key_id,
    private_key,
    private_pem,
    public_keys,
    public_pem,
)


def new() -> tuple[Ed25519PrivateKey, str, str]:
    key = Ed25519PrivateKey.generate()
    return key, private_pem(key), public_pem(key)


def kid(key: Ed25519PrivateKey) -> str:
    return key_id(key.public_key())


def test_private_key_inline_and_from_a_file(tmp_path: Path) -> None:
    key, private, _ = new()
    assert kid(private_key(private)) == kid(key)
    file = tmp_path / "promobot-signing.pem"
    file.write_text(private)
    assert kid(private_key(str(file))) == kid(key)
    assert kid(private_key(f"  {file}\n")) == kid(key)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is empty"),
        ("/no/such/key.pem", "/no/such/key.pem does not exist"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not an unencrypted"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA", "0 complete PEM blocks"),
    ],
    ids=["empty", "missing-file", "garbage-pem", "cut-pem"],
)
def test_private_key_problems_are_sentences(text: str, says: str) -> None:
    with pytest.raises(KeyProblem, match=says):
        private_key(text)


def test_a_public_key_is_not_a_signing_key() -> None:
    _, _, public = new()
    with pytest.raises(KeyProblem, match="not an unencrypted PKCS8 private key"):
        private_key(public)


def test_a_private_key_body_without_its_pem_lines_is_never_echoed() -> None:
    _, private, _ = new()
    body = "".join(private.splitlines()[1:-1])
    with pytest.raises(KeyProblem) as caught:
        private_key(body)
    assert body not in str(caught.value)
    with pytest.raises(KeyProblem) as caught:
        public_keys(body)
    assert body not in str(caught.value)
    assert "without its BEGIN and END lines" in str(caught.value)


def test_public_keys_inline_several(tmp_path: Path) -> None:
    a, _, a_pub = new()
    b, _, b_pub = new()
    assert set(public_keys(a_pub + b_pub)) == {kid(a), kid(b)}
    assert public_keys("") == {}
    assert public_keys(" \n, ;") == {}


def test_public_keys_paths_separated_every_way(tmp_path: Path) -> None:
    keys = [new() for _ in range(4)]
    files = []
    for n, (_, _, pub) in enumerate(keys):
        files.append(tmp_path / f"k{n}.pub.pem")
        files[-1].write_text(pub)
    text = f"{files[0]},{files[1]}; {files[2]}\n\t{files[3]}\n"
    assert set(public_keys(text)) == {kid(k) for k, _, _ in keys}


def test_a_file_with_several_blocks_and_a_folder(tmp_path: Path) -> None:
    a, _, a_pub = new()
    b, _, b_pub = new()
    c, _, c_pub = new()
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(a_pub + "\n" + b_pub)
    assert set(public_keys(str(bundle))) == {kid(a), kid(b)}
    folder = tmp_path / "trusted"
    folder.mkdir()
    (folder / "old.pub").write_text(a_pub)
    (folder / "new.pem").write_text(c_pub)
    (folder / "README.md").write_text("not a key")  # left out: not *.pem or *.pub
    assert set(public_keys(str(folder))) == {kid(a), kid(c)}


def test_mixed_inline_and_paths(tmp_path: Path) -> None:
    a, _, a_pub = new()
    b, _, b_pub = new()
    file = tmp_path / "b.pem"
    file.write_text(b_pub)
    assert set(public_keys(f"{a_pub}\n{file}\n")) == {kid(a), kid(b)}
    assert set(public_keys(f"{file}, {a_pub}")) == {kid(a), kid(b)}


def test_a_private_key_among_the_trusted_is_refused_without_showing_it(tmp_path: Path) -> None:
    _, private, public = new()
    with pytest.raises(KeyProblem, match=r"private key .*inline PEM block 2") as caught:
        public_keys(public + private)
    assert private.splitlines()[1] not in str(caught.value)
    file = tmp_path / "promobot-signing.pem"
    file.write_text(private)
    with pytest.raises(KeyProblem, match=f"private key \\({file}\\)"):
        public_keys(str(file))
    folder = tmp_path / "keys"
    folder.mkdir()
    (folder / "signing.pem").write_text(private)
    with pytest.raises(KeyProblem, match="give only public keys"):
        public_keys(str(folder))


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: str(d / "missing.pem"), "missing.pem does not exist"),
        (lambda d: str(d / "empty-folder"), "holds no \\*.pem or \\*.pub"),
        (lambda d: str(d / "notes.pem"), "holds no PEM block"),
        (lambda d: "-----BEGIN PUBLIC KEY-----\nMCow", "incomplete PEM block"),
        (
            lambda d: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "inline PEM block 1 is not a public key",
        ),
    ],
    ids=["missing", "empty-folder", "no-pem", "cut", "garbage"],
)
def test_public_key_problems_name_the_entry(tmp_path: Path, make, says: str) -> None:
    (tmp_path / "empty-folder").mkdir()
    (tmp_path / "notes.pem").write_text("just notes")
    with pytest.raises(KeyProblem, match=says):
        public_keys(make(tmp_path))


def test_any_public_key_of_a_public_or_private_key(tmp_path: Path) -> None:
    key, private, public = new()
    assert kid(key) == key_id(any_public_key(private)) == key_id(any_public_key(public))
    file = tmp_path / "k.pem"
    file.write_text(private)
    assert key_id(any_public_key(str(file))) == kid(key)
    with pytest.raises(KeyProblem, match="expected one key, found 2"):
        any_public_key(public + public_pem(Ed25519PrivateKey.generate()))


def test_a_pem_written_on_one_line_as_env_files_hold_it() -> None:
    key, private, public = new()
    assert kid(private_key(private.replace("\n", "\\n"))) == kid(key)
    assert list(public_keys(public.replace("\n", "\\n"))) == [kid(key)]
