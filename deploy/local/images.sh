#!/usr/bin/env bash
# Build promobot's images on a machine that reaches no image registry (docs/deploy.md,
# "Building here, without a registry"): Debian bookworm bases made from Debian's packages
# with mmdebstrap stand in for python:3.11-slim-bookworm, postgres and prom/prometheus.
#
#   deploy/local/images.sh env          print `export CONTAINERS_CONF=…` (podman's settings here)
#   deploy/local/images.sh base         localhost/debian-python:bookworm   (python3 3.11)
#   deploy/local/images.sh postgres     localhost/postgres:15              (PostgreSQL 15)
#   deploy/local/images.sh prometheus   localhost/prometheus:bookworm      (Prometheus)
#   deploy/local/images.sh serve|mlflow localhost/promobot:local, localhost/promobot-mlflow:local
#   deploy/local/images.sh all
#
# Root filesystems are cached as tarballs in $PROMOBOT_IMAGE_CACHE (default
# /var/tmp/promobot-image) and imported again when podman's storage lost them; from
# nothing, each base takes one to three minutes. Needs (as root): podman runc mmdebstrap buildah
# uidmap slirp4netns fuse-overlayfs.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${PROMOBOT_IMAGE_CACHE:-/var/tmp/promobot-image}"
BASE_IMAGE=localhost/debian-python:bookworm
SLIM=(
  --variant=minbase
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
)

log() { echo "images.sh: $*" >&2; }

# podman on these machines: runc with the cgroupfs manager (crun fails here), nproc
# lowered, nofile at the host's limit (docs/deploy.md, "Building here"). One file, for
# podman, its builds and podman-compose alike.
containers_conf() {
  local conf="$CACHE/containers.conf" nofile
  nofile="$(ulimit -n)"
  mkdir -p "$CACHE"
  cat >"$conf.new" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
  mv "$conf.new" "$conf"
  echo "$conf"
}

export CONTAINERS_CONF="${CONTAINERS_CONF:-$(containers_conf)}"

# have IMAGE TARBALL: the image is in podman's storage, or imported from the cached tarball.
have() {
  podman image exists "$1" && return 0
  [ -s "$2" ] || return 1
  log "importing $1 from $2"
  podman import "${@:3}" "$2" "$1" >/dev/null
}

# build podman-build-arguments…: podman build, then remove what it left behind (the stages'
# images, and the image its tag was on before), and nothing else.
build() {
  local before
  before="$(podman images --quiet --no-trunc --filter dangling=true | sort)"
  podman build --layers=false "$@" >&2
  comm -13 <(echo "$before") <(podman images --quiet --no-trunc --filter dangling=true | sort) |
    xargs --no-run-if-empty podman rmi >/dev/null 2>&1 || true
}

debootstrap() {  # debootstrap TARBALL mmdebstrap-options…
  local tar="$1"
  shift
  mkdir -p "$CACHE"
  log "mmdebstrap → $tar"
  mmdebstrap --quiet --format=tar "${SLIM[@]}" "$@" bookworm "$tar.new" >&2
  mv "$tar.new" "$tar"
}

base() {
  local tar="$CACHE/debian-python-bookworm.tar"
  have "$BASE_IMAGE" "$tar" --change 'CMD ["python3"]' && return 0
  debootstrap "$tar" --include=python3,python3-venv,ca-certificates,passwd
  have "$BASE_IMAGE" "$tar" --change 'CMD ["python3"]'
}

postgres() {
  local tar="$CACHE/postgres-15.tar" rootfs=localhost/postgres-rootfs:15 image=localhost/postgres:15
  if ! have "$rootfs" "$tar"; then
    debootstrap "$tar" --include=postgresql-15 \
      --customize-hook='mkdir -p "$1/var/lib/postgresql/data" "$1/docker-entrypoint-initdb.d"' \
      --customize-hook='chroot "$1" chown -R postgres:postgres /var/lib/postgresql'
    have "$rootfs" "$tar"
  fi
  # The official image's interface on it (postgres-entrypoint.sh): a layer of its own, so
  # that changing the entry point does not make the root filesystem again.
  build --tag "$image" --file - "$HERE" <<CONTAINERFILE
FROM $rootfs
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin PGDATA=/var/lib/postgresql/data \
    PGHOST=/tmp
USER postgres
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
CONTAINERFILE
}

prometheus() {
  local tar="$CACHE/prometheus-bookworm.tar" image=localhost/prometheus:bookworm
  local changes=(
    --change 'USER 65534:65534'
    --change 'WORKDIR /prometheus'
    --change 'ENTRYPOINT ["/usr/bin/prometheus"]'
    --change 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]'
    --change 'EXPOSE 9090'
  )
  have "$image" "$tar" "${changes[@]}" && return 0
  debootstrap "$tar" --include=prometheus \
    --customize-hook='mkdir -p "$1/prometheus" && chown 65534:65534 "$1/prometheus"'
  have "$image" "$tar" "${changes[@]}"
}

# promobot's own images, from the repository's Containerfile, on the local base. This
# network intercepts TLS, so pip gets the host's CA bundle as a build secret: it is read in
# the wheel stage only and is in neither image.
promobot() {  # promobot serve|mlflow
  local target="$1" image="localhost/promobot:local" ca="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
  [ "$target" = mlflow ] && image="localhost/promobot-mlflow:local"
  base
  local args=(
    --format docker --target "$target" --tag "$image"
    --build-arg "BASE=$BASE_IMAGE"
    --build-arg "VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO/pyproject.toml")"
    --build-arg "REVISION=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)"
    --build-arg "SOURCE=$(git -C "$REPO" remote get-url origin 2>/dev/null || echo "file://$REPO")"
  )
  [ -r "$ca" ] && args+=(--secret "id=pip_cert,src=$ca")
  log "podman build --target $target → $image"
  build "${args[@]}" --file "$REPO/Containerfile" "$REPO"
}

case "${1:-}" in
  env) echo "export CONTAINERS_CONF=$CONTAINERS_CONF" ;;
  base) base ;;
  postgres) postgres ;;
  prometheus) prometheus ;;
  serve | mlflow) promobot "$1" ;;
  all) base && postgres && prometheus && promobot mlflow && promobot serve ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
