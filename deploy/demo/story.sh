#!/bin/sh
# The demo story against the compose stack (deploy/compose.yaml, service `demo`):
#
#   podman-compose -f deploy/compose.yaml --profile demo run --rm demo
#
# The same story as `make demo`, on the stack's MLflow (PostgreSQL, the guard) instead of a
# local SQLite file: CI's account trains two versions of the example model (in runs that
# `promobot register start-run` opens) and registers them with MLflow's register_model;
# then promobot's own account carries out what people ask, each as the person
# (`--as`, which promobot honours for a service account, PROMOBOT_SERVICE_USERS), signing
# what it carries out with serve's key (PROMOBOT_SIGNING_KEY): bob promotes to Staging and
# asks for Production, his own approval is refused, alice approves, the deployment code
# loads models:/sentiment-classifier/Production, and carol (on call) rolls back.
# The replicas' Slack channel (PROMOBOT_SLACK_CHANNEL) hears about each version
# MLflow's webhook delivers. Each run adds two versions; it can run again. Run right after
# `up -d`, it first waits (up to five minutes) for MLflow and promobot's accounts.
set -eu

MODEL=sentiment-classifier

say() { printf '\n── %s\n' "$*"; }
as_ci() {
  MLFLOW_TRACKING_USERNAME=promobot-ci MLFLOW_TRACKING_PASSWORD="$PROMOBOT_CI_MLFLOW_PASSWORD" "$@"
}
as_promobot() {
  MLFLOW_TRACKING_USERNAME=promobot MLFLOW_TRACKING_PASSWORD="$PROMOBOT_MLFLOW_PASSWORD" \
    promobot "$@"
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin).get('$1') or '')"; }

train_and_register() {  # train_and_register C: prints the new version number
  run=$(as_ci promobot register start-run --experiment "$MODEL")
  MLFLOW_RUN_ID=$run as_ci python3 examples/sentiment_classifier/train.py --c "$1" \
    >"/tmp/train-$1.log"
  grep -E "^(accuracy|f1):" "/tmp/train-$1.log" | sed 's/^/  /' >&2
  logged=$(sed -n 's/^model_uri: *//p' "/tmp/train-$1.log")
  as_ci python3 -c "
import mlflow, sys
print(mlflow.register_model(sys.argv[1], sys.argv[2]).version)" "$logged" "$MODEL"
}

# Right after `up -d` the stack is still starting: podman before 4.6 does not wait for
# MLflow's health check, and the accounts are made by a one-shot service after it. Wait
# (up to five minutes) until both accounts sign in, rather than fail at the first command.
say "0. waiting for MLflow and promobot's accounts (the mlflow-accounts service makes them)"
python3 - <<'PY'
import base64, os, sys, time, urllib.error, urllib.request

url = os.environ["MLFLOW_TRACKING_URI"].rstrip("/") + "/api/2.0/mlflow/users/current"
accounts = {
    "promobot": os.environ["PROMOBOT_MLFLOW_PASSWORD"],
    "promobot-ci": os.environ["PROMOBOT_CI_MLFLOW_PASSWORD"],
}
started = time.monotonic()
waiting = ""
while accounts:
    for name, password in list(accounts.items()):
        token = base64.b64encode(f"{name}:{password}".encode()).decode()
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=5):
                del accounts[name]
                continue
        except urllib.error.HTTPError as answer:
            waiting = f"MLflow answers {answer.code} for {name}: its account is not made yet"
        except (urllib.error.URLError, OSError):
            waiting = "MLflow does not answer yet"
        break
    else:
        continue
    if time.monotonic() - started > 300:
        sys.exit(f"story: after 5 minutes, {waiting} (podman-compose logs mlflow mlflow-accounts)")
    time.sleep(3)
print(f"MLflow answers and both accounts sign in ({time.monotonic() - started:.0f} s)")
PY

say "1. CI trains two versions of the example model and registers them"
first=$(train_and_register 0.3)
second=$(train_and_register 4.0)
echo "registered v$first and v$second"

say "2. bob promotes v$first to Staging"
as_promobot promote "$MODEL" "v$first" staging "first cut" --as cli:bob

say "3. bob asks for Production: it waits for a lead"
asked=$(as_promobot promote "$MODEL" "v$first" production "passed the shadow test" \
  --as cli:bob --json) || true
echo "$asked"
request=$(echo "$asked" | field request_id)
if [ "$(echo "$asked" | field status)" != pending ]; then
  echo "The request was not left waiting: read the reasons above (a freeze window?)." >&2
  exit 1
fi

say "4. bob approves his own request: refused"
as_promobot approve "$request" --as cli:bob || true

say "5. alice (ml-leads) approves"
as_promobot approve "$request" "looks good" --as cli:alice

say "6. the deployment code loads models:/$MODEL/Production"
as_ci python3 examples/sentiment_classifier/predict.py

say "7. v$second goes to Staging, then Production"
as_promobot promote "$MODEL" "v$second" staging "retrained" --as cli:bob
asked=$(as_promobot promote "$MODEL" "v$second" production "better F1" --as cli:bob --json) || true
as_promobot approve "$(echo "$asked" | field request_id)" --as cli:alice

say "8. carol, on call, rolls back"
as_promobot rollback "$MODEL" "p99 latency doubled" --as cli:carol

say "9. where things stand"
as_promobot status "$MODEL"
as_promobot history "$MODEL" --limit 6
