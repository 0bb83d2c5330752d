#!/bin/sh
# Print deploy/env.example with a fresh random value for every secret in it:
#
#   deploy/make-env.sh > deploy/.env && chmod 600 deploy/.env
#
# then fill in SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and PROMOBOT_SLACK_CHANNEL.
set -eu
exec python3 - "$(dirname "$0")/env.example" <<'PY'
import base64, os, secrets, sys

for line in open(sys.argv[1], encoding="utf-8"):
    key, eq, value = line.rstrip("\n").partition("=")
    if eq and not key.startswith("#") and value == "change-me":
        line = f"{key}={secrets.token_hex(24)}\n"
    elif eq and not key.startswith("#") and value == "change-me-fernet":
        line = f"{key}={base64.urlsafe_b64encode(os.urandom(32)).decode()}\n"
    sys.stdout.write(line)
PY
