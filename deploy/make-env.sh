#!/bin/sh
# Print deploy/env.example with a fresh random value for every secret in it:
#
#   deploy/make-env.sh > deploy/.env && chmod 600 deploy/.env
#
# then fill in SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and PROMOBOT_SLACK_CHANNEL.
# The signing key and its public half are made with openssl (or, without it, Python's
# `cryptography`).
set -eu
exec python3 - "$(dirname "$0")/env.example" <<'PY'
import base64, os, secrets, shutil, subprocess, sys


def ed25519_pem():
    if shutil.which("openssl"):
        made = subprocess.run(
            ["openssl", "genpkey", "-algorithm", "ed25519"], capture_output=True, check=True
        )
        return made.stdout.decode()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_of(pem):
    if shutil.which("openssl"):
        made = subprocess.run(
            ["openssl", "pkey", "-pubout"], input=pem.encode(), capture_output=True, check=True
        )
        return made.stdout.decode()
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


private = ""
for line in open(sys.argv[1], encoding="utf-8"):
    key, eq, value = line.rstrip("\n").partition("=")
    if eq and not key.startswith("#") and value == "change-me":
        line = f"{key}={secrets.token_hex(24)}\n"
    elif eq and not key.startswith("#") and value == "change-me-fernet":
        line = f"{key}={base64.urlsafe_b64encode(os.urandom(32)).decode()}\n"
    elif eq and not key.startswith("#") and value == "change-me-ed25519":
        private = ed25519_pem()
        pem = private.strip().replace("\n", "\\n")
        line = f"{key}={pem}\n"
    elif eq and not key.startswith("#") and value == "public-of-PROMOBOT_SIGNING_KEY":
        if not private:
            sys.exit("make-env.sh: PROMOBOT_TRUSTED_KEYS must follow PROMOBOT_SIGNING_KEY")
        line = f"{key}={public_of(private).strip().replace(chr(10), chr(92) + 'n')}\n"
    sys.stdout.write(line)
PY
