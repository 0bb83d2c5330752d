"""`promobot --server` over https (bot/doors/cli/remote.py): the connection is checked
against the bundle REQUESTS_CA_BUNDLE names, as MLflow's client checks its own, against a
real TLS server whose certificate a CA of the test's own signed."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from canned_http import CannedServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.config import Settings
from bot.doors.answer import EXIT_HEADER
from bot.doors.cli.remote import run_remote
from bot.doors.common import ExitCode


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_files(folder: Path) -> tuple[Path, Path, Path]:
    """(the CA's certificate, the server's certificate, the server's key) as PEM files:
    a company CA and the certificate it gave 127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("test company CA"))
        .issuer_name(_name("test company CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def tls_door(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An https server answering as the command door does, and its CA's PEM file."""
    ca, cert, key = _pem_files(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    door = CannedServer(tls=context)
    door.headers = {EXIT_HEADER: "0", "Content-Type": "text/plain"}
    door.body = b"status: done\n"
    try:
        yield door.url, ca
    finally:
        door.close()


def _send(url: str) -> tuple[ExitCode, str]:
    settings = Settings(mlflow_tracking_username="carol", mlflow_tracking_password="pw")
    answer = run_remote(url, "status sentiment-classifier", "", settings, as_json=False)
    return answer.exit, answer.text


def test_a_company_ca_named_by_requests_ca_bundle_is_trusted(
    tls_door: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca = tls_door
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    code, said = _send(url)
    assert code == ExitCode.UNAVAILABLE  # the system's CAs do not know the company's
    assert "certificate verify failed" in said

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    assert _send(url) == (ExitCode.OK, "status: done")

    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("CURL_CA_BUNDLE", str(ca))
    assert _send(url) == (ExitCode.OK, "status: done")


def test_a_bundle_that_cannot_be_read_says_so(
    tls_door: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, _ = tls_door
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    code, said = _send(url)
    assert code == ExitCode.USAGE
    assert said.startswith("REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) must name a file")
    assert "nothing was done" in said

    (tmp_path / "junk.pem").write_text("not a certificate")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "junk.pem"))
    assert _send(url)[0] == ExitCode.USAGE
