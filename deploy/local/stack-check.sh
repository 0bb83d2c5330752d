#!/usr/bin/env bash
# The compose stack, brought up here and the demo story run against it (`make stack-check`;
# docs/deploy.md, "Building here, without a registry"):
#
#   1. the images, from Debian's packages (images.sh all: no registry is reachable here)
#   2. a throwaway env file with fresh secrets, and a copy of policies/ without its
#      Friday-evening freeze (this runs on the real clock)
#   3. podman-compose up, with deploy/local/compose.local.yaml (the local images and a
#      stand-in for Slack's Web API), under the project name promobot-check
#   4. waits for MLflow, the accounts, the webhook and both replicas' /healthz
#   5. the demo story (the `demo` service, deploy/demo/story.sh) against the stack
#   6. a signed slash command to each replica, answered through the stand-in; MLflow's
#      webhook deliveries announced by a replica
#   7. podman-compose down -v (KEEP=1 leaves the stack up)
#
# IMAGES=keep uses promobot's images as they are, when both exist (no rebuild).
#
# Ports on 127.0.0.1: MLFLOW_PORT (15000), PROMOBOT_PORT_1/2 (13000, 13001),
# PROMETHEUS_PORT (19090). Needs podman, mmdebstrap and podman-compose (make stack-check
# installs podman-compose into .venv/tools).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY="$(dirname "$HERE")"
REPO="$(dirname "$DEPLOY")"
COMPOSE="${PODMAN_COMPOSE:-podman-compose}"
PROJECT=promobot-check
WORK="$(mktemp -d /tmp/promobot-stack-check.XXXXXX)"
export MLFLOW_PORT="${MLFLOW_PORT:-15000}" PROMETHEUS_PORT="${PROMETHEUS_PORT:-19090}"
export PROMOBOT_PORT_1="${PROMOBOT_PORT_1:-13000}" PROMOBOT_PORT_2="${PROMOBOT_PORT_2:-13001}"

say() { printf '\n== %s\n' "$*"; }
fail() {
  echo "stack-check: $*" >&2
  exit 1
}

eval "$("$HERE/images.sh" env)"
compose() {
  "$COMPOSE" -p "$PROJECT" --env-file "$WORK/env" \
    -f "$DEPLOY/compose.yaml" -f "$HERE/compose.local.yaml" "$@"
}
finish() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "stack-check: failed; the containers' last words:" >&2
    for c in $(podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}'); do
      echo "--- $c" >&2
      podman logs --tail 25 "$c" >&2 2>&1 || true
    done
  fi
  if [ "${KEEP:-}" = 1 ]; then
    echo "stack-check: KEEP=1, the stack stays up (env file: $WORK/env)" >&2
  else
    compose down -v >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap finish EXIT

say "1. images (deploy/local/images.sh all)"
started=$(date +%s)
if [ "${IMAGES:-}" = keep ] && podman image exists localhost/promobot:local &&
  podman image exists localhost/promobot-mlflow:local; then
  "$HERE/images.sh" base && "$HERE/images.sh" postgres && "$HERE/images.sh" prometheus
  echo "IMAGES=keep: promobot's images as they are"
else
  "$HERE/images.sh" all >"$WORK/images.log" 2>&1 || {
    tail -n 40 "$WORK/images.log" >&2
    fail "the images did not build"
  }
  echo "built in $(($(date +%s) - started)) s"
fi
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'promobot|postgres|prometheus'

say "2. secrets, policy, the MLflow app"
"$DEPLOY/make-env.sh" >"$WORK/env"
# promobot's guard where the mlflow image has it (the `mlflow.app` entry point), else
# MLflow's basic-auth, which the guard is built on.
app="$(podman run --rm --network none --entrypoint python3 localhost/promobot-mlflow:local -c \
  'from importlib.metadata import entry_points as e; print(*[p.name for p in e(group="mlflow.app")])')"
case " $app " in
  *" promobot-guard "*) echo "MLFLOW_APP=promobot-guard" >>"$WORK/env" ;;
  *) echo "MLFLOW_APP=basic-auth" >>"$WORK/env" ;;
esac
grep MLFLOW_APP "$WORK/env"
SIGNING_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
mkdir "$WORK/policies"
"${PYTHON:-python3}" - "$REPO/policies" "$WORK/policies" <<'PY'
import pathlib, sys, yaml
for source in pathlib.Path(sys.argv[1]).glob("*.yaml"):
    data = yaml.safe_load(source.read_text())
    for entry in data.get("models", []):
        for rule in (entry.get("targets") or {}).values():
            rule.pop("freeze", None)
    (pathlib.Path(sys.argv[2]) / source.name).write_text(yaml.safe_dump(data, sort_keys=False))
PY
chmod -R a+rX "$WORK/policies"
cat >>"$WORK/env" <<EOF
SLACK_BOT_TOKEN=xoxb-stack-check
SLACK_SIGNING_SECRET=$SIGNING_SECRET
PROMOBOT_SLACK_CHANNEL=C0RELEASES
PROMOBOT_POLICY_DIR=$WORK/policies
EOF
echo "env file and policy in $WORK"

say "3. podman-compose up"
compose down -v >/dev/null 2>&1 || true
started=$(date +%s)
compose up -d >"$WORK/up.log" 2>&1 || {
  tail -n 40 "$WORK/up.log" >&2
  fail "podman-compose up failed"
}
compose ps

say "4. waiting for the stack"
wait_http() {  # wait_http URL WHAT SECONDS
  local deadline=$(($(date +%s) + $3))
  until python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=3)" "$1" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$2 did not answer $1 within $3 s"
    sleep 1
  done
  echo "$2 answers ($(($(date +%s) - started)) s after up)"
}
wait_exit() {  # wait_exit SERVICE SECONDS: the one-shot service exited 0
  local name="${PROJECT}_$1_1" deadline=$(($(date +%s) + $2)) state
  while :; do
    state="$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name" 2>/dev/null || echo missing)"
    [ "$state" = "exited 0" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || fail "$1 did not finish within $2 s ($state)"
    sleep 2
  done
  echo "$1 done: $(podman logs "$name" 2>&1 | tail -n 1)"
}
wait_http "http://127.0.0.1:$MLFLOW_PORT/health" "mlflow" 300
wait_exit mlflow-accounts 180
wait_exit webhook 180
wait_http "http://127.0.0.1:$PROMOBOT_PORT_1/healthz" "promobot-1" 120
wait_http "http://127.0.0.1:$PROMOBOT_PORT_2/healthz" "promobot-2" 120
wait_http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" "prometheus" 120

say "5. the demo story (podman-compose --profile demo run --rm demo)"
compose --profile demo run --rm demo 2>&1 | tee "$WORK/demo.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "the demo story failed"
grep -q "rolled back\|Rolled back\|rollback" "$WORK/demo.log" || fail "the story did not reach the rollback"

say "6. Slack, through each replica"
python3 - "$SIGNING_SECRET" "$PROMOBOT_PORT_1" "$PROMOBOT_PORT_2" <<'PY'
import hashlib, hmac, sys, time, urllib.parse, urllib.request

secret, ports = sys.argv[1], sys.argv[2:]
for n, port in enumerate(ports, 1):
    body = urllib.parse.urlencode({
        "command": "/promobot", "text": "status sentiment-classifier", "user_id": "U01BOB",
        "user_name": "bob", "channel_id": "C0RELEASES", "team_id": "T0LOCAL",
        "response_url": f"http://slack-api:8080/response/check-{n}", "trigger_id": "1.2.3",
    })
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(
        secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body.encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        print(f"promobot-{n}: /promobot status sentiment-classifier → HTTP {answer.status}")
PY
deadline=$(($(date +%s) + 60))
for n in 1 2; do
  until podman logs "${PROJECT}_slack-api_1" 2>&1 | grep -q "response check-$n"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "no answer from promobot-$n reached Slack"
    sleep 1
  done
done
echo "both replicas answered through Slack's response URLs"
announced=$(podman logs "${PROJECT}_slack-api_1" 2>&1 | grep -c "registered" || true)
[ "$announced" -ge 1 ] || fail "no new version was announced: MLflow's webhook did not reach promobot"
echo "MLflow's webhook: $announced new-version announcements posted by the replicas"

say "stack-check: passed, $(($(date +%s) - started)) s from podman-compose up: the stack came up and the demo story ran against it"
