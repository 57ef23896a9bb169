#!/usr/bin/env bash
# Optional check of the deployment images on a machine without a Docker engine (not part of
# `npm test`, not in .ci/run: it takes minutes — measured on 2 cores: about 4 min with the base
# image and the apt layer cached, 16 min from nothing while other jobs loaded the machine; the
# build of Dockerfile.serve (apt toolchain, npm ci, compiling better-sqlite3) is most of it). Needs root, podman, and debootstrap when the base
# image has to be made.
#
#   bash tests/docker/check-images.sh            # build both images, then exercise them
#   RFM_DOCKER_CHECK=1 CI=true bash tests/docker/check-images.sh   # force it under CI
#   RFM_DOCKER_SKIP_BUILD=1 …                     # reuse images built by an earlier run
#   RFM_DOCKER_CONTEXT=DIR …                      # build from DIR (e.g. a `git archive HEAD`
#                                                 #   export) instead of this work tree
#
# 1. Base image: the FROM image of the Dockerfiles if podman already has it (the real
#    node:20-bookworm-slim where it can be pulled); otherwise a local STAND-IN with the same name,
#    made from debootstrap (Debian bookworm, minbase) plus this machine's Node 20 and npm, laid out
#    like the official image (/usr/local/bin/node, headers in /usr/local/include/node, user
#    node 1000:1000). The stand-in is only for this check; it is never pushed anywhere.
# 2. `podman build --isolation chroot --pull=never --format docker` of Dockerfile.serve and
#    Dockerfile.train (train with --build-arg TFJS_NODE=${TFJS_NODE:-0}: without internet the
#    native TensorFlow backend cannot be downloaded, and TFJS_NODE=0 tolerates that).
# 3. Runs the images' entrypoints from their filesystems — `podman image mount`, an overlay on top,
#    `chroot` as the image's USER with its ENV and WORKDIR (`podman run` cannot start containers on
#    this kind of machine) — sharing one registry directory the way compose.yaml's volume does:
#    train on a generated export mounted read-only at /data/in → serve → the image's HEALTHCHECK
#    command, /healthz, /readyz, a prediction → retrain + promote from the train image → the
#    server hot-reloads → rollback → the server follows.
# Not exercised: Docker/compose themselves, container networking and port publishing, the
# HEALTHCHECK as scheduled by an engine, the real node:20-bookworm-slim (unless present), and the
# native TensorFlow backend (unless built with internet and TFJS_NODE=1).
set -euo pipefail
CTX_ARG=${RFM_DOCKER_CONTEXT:+$(cd "$RFM_DOCKER_CONTEXT" && pwd)}
cd "$(dirname "$0")/../.."

skip() { echo "check-images: SKIPPED — $*"; exit 0; }
command -v podman >/dev/null 2>&1 || skip "podman is not installed (apt-get install -y podman debootstrap)"
if [ -n "${CI:-}" ] && [ "${RFM_DOCKER_CHECK:-}" != 1 ]; then
  skip "CI is set and building both images takes minutes; set RFM_DOCKER_CHECK=1 to run it"
fi
# chroot, mount and `podman image mount` need root (tried here only as root; rootless podman would
# need `podman unshare` and its own image store, not tried).
[ "$(id -u)" = 0 ] || skip "needs root (chroot, mounts, podman image mount)"
for tool in unshare chroot mount timeout node; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is missing"
done

SERVE_TAG=${RFM_SERVE_IMAGE:-localhost/rfm-serve:check}
TRAIN_TAG=${RFM_TRAIN_IMAGE:-localhost/rfm-train:check}
CTX=${CTX_ARG:-$PWD}
BASE=$(awk 'toupper($1)=="FROM"{print $2; exit}' "$CTX/Dockerfile.serve")
case "$BASE" in */*/*) ;; */*) BASE=docker.io/$BASE ;; *) BASE=docker.io/library/$BASE ;; esac
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/rfm-check-images.XXXXXX")
T0=$(date +%s)
PIDS=()
MOUNTED=()

cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for img in "${MOUNTED[@]}"; do podman image unmount "$img" >/dev/null 2>&1 || true; done
  rm -rf "$SCRATCH"
  exit $rc
}
trap cleanup EXIT INT TERM

step() { printf '\n== %s (+%ss)\n' "$*" "$(( $(date +%s) - T0 ))"; }
fail() { echo "check-images: FAILED — $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# 1. base image
make_standin() {
  command -v debootstrap >/dev/null 2>&1 || fail "no $BASE and no debootstrap to make a stand-in (apt-get install -y debootstrap)"
  local node_bin major
  node_bin=$(command -v node) || fail "no node on this machine to put into the stand-in"
  major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
  [ "$major" = 20 ] || fail "the stand-in needs Node 20; this machine has $("$node_bin" --version)"
  local npm_dir include_dir
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  include_dir=$(dirname "$(dirname "$node_bin")")/include/node
  [ -f "$npm_dir/package.json" ] || fail "cannot find npm's package folder"
  [ -f "$include_dir/node.h" ] || fail "no Node headers at $include_dir (node-gyp needs them offline)"
  local rootfs=$SCRATCH/standin
  echo "making a stand-in for $BASE: debootstrap bookworm minbase + node $("$node_bin" --version) + npm $(node "$npm_dir/bin/npm-cli.js" --version)"
  debootstrap --variant=minbase bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$SCRATCH/debootstrap.log" 2>&1 \
    || { tail -20 "$SCRATCH/debootstrap.log"; fail "debootstrap"; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/include"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  cp -a "$include_dir" "$rootfs/usr/local/include/node"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$rootfs" node --version >/dev/null || fail "node does not run inside the stand-in"
  # Trust what this machine trusts (a TLS-inspecting proxy in front of the npm registry, say), as
  # its own npm does: the host's CA bundle, through NODE_EXTRA_CA_CERTS, in the stand-in only.
  local extra_ca=() host_ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
  if [ -f "$host_ca" ]; then
    install -D -m 0644 "$host_ca" "$rootfs/usr/local/share/rfm-standin/host-ca.pem"
    extra_ca=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/rfm-standin/host-ca.pem')
  fi
  tar -C "$rootfs" --numeric-owner -cf - . | podman import \
    --change 'ENV NODE_VERSION='"$("$node_bin" -p process.versions.node)" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' "${extra_ca[@]}" \
    --message "LOCAL STAND-IN for $BASE (debootstrap + host node), for tests/docker/check-images.sh only" \
    - "$BASE" >/dev/null
  rm -rf "$rootfs"
}

build_image() {
  local kind=$1 tag=$2 t; shift 2
  step "podman build -f Dockerfile.$kind -t $tag $*"
  t=$(date +%s)
  podman build --isolation chroot --pull=never --format docker \
    -f "$CTX/Dockerfile.$kind" -t "$tag" "$@" "$CTX" >"$SCRATCH/build-$kind.log" 2>&1 \
    || { tail -40 "$SCRATCH/build-$kind.log"; fail "podman build -f Dockerfile.$kind"; }
  grep -E '^npm error (command|.*Error)' "$SCRATCH/build-$kind.log" | head -3 || true
  grep -E '^tfjs-node:' "$SCRATCH/build-$kind.log" || true
  echo "built $tag in $(( $(date +%s) - t ))s"
}

if [ -z "${RFM_DOCKER_SKIP_BUILD:-}" ]; then
  step "base image $BASE"
  if podman image exists "$BASE"; then
    echo "using the $BASE podman already has: $(podman image inspect --format '{{.Comment}}' "$BASE" 2>/dev/null | head -c 120)"
  else
    make_standin
  fi
  podman images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' "$BASE"

# ---------------------------------------------------------------------------------------------
# 2. build both images
  build_image serve "$SERVE_TAG"
  build_image train "$TRAIN_TAG" --build-arg "TFJS_NODE=${TFJS_NODE:-0}"
fi
podman images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "rfm-(serve|train)" || true

# ---------------------------------------------------------------------------------------------
# 3. run the entrypoints from the images' filesystems
SERVE_ROOT=$(podman image mount "$SERVE_TAG"); MOUNTED+=("$SERVE_TAG")
TRAIN_ROOT=$(podman image mount "$TRAIN_TAG"); MOUNTED+=("$TRAIN_TAG")
REG=$SCRATCH/registry IN=$SCRATCH/in
mkdir -p "$REG" "$IN"
chown 1000:1000 "$REG"            # the images' `node` user, as a fresh named volume would be
if [ -f data/online_retail_sample.csv.gz ]; then
  cp data/online_retail_sample.csv.gz "$IN/export.csv.gz"
else                               # a small UCI-shaped export, should the sample be missing
  awk 'BEGIN{srand(7);print "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
    for(i=0;i<4000;i++){c=12000+int(rand()*400);d=1+int(rand()*28);m=1+int(rand()*12);
      printf "%d,85123A,ITEM,%d,%d/%d/2011 10:%02d,%.2f,%d,United Kingdom\n",500000+int(i/3),1+int(rand()*12),m,d,i%60,0.5+rand()*20,c}}' \
    | gzip >"$IN/export.csv.gz"
fi
chmod -R a+rX "$IN"

# image_cmd IMAGE ROOT NAME ARG…: sets CMD to a command that runs ARG… in the image filesystem ROOT
# as the image's USER, with its ENV, HOME and WORKDIR, in a private mount namespace: an overlay
# (writable layer in scratch) over ROOT, /proc, /dev, a tmpfs /tmp, the shared registry at
# /data/registry and the exports read-only at /data/in, as compose.yaml gives the containers.
# Extra variables: EXTRA_ENV="A=1 B=2"; READ_ONLY=1: the image's filesystem read-only, as
# compose.yaml's `read_only: true` (no overlay, only /tmp and the registry writable). unshare, sh, chroot and env all exec, so the PID of CMD
# is the PID of the node process itself.
image_cmd() {
  local img=$1 root=$2 name=$3 user uidgid home workdir envs; shift 3
  user=$(podman image inspect --format '{{.Config.User}}' "$img"); user=${user:-root}
  workdir=$(podman image inspect --format '{{.Config.WorkingDir}}' "$img"); workdir=${workdir:-/}
  mapfile -t envs < <(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$img" | sed '/^$/d')
  uidgid=$(awk -F: -v u="$user" '$1==u || $3==u {print $3":"$4; exit}' "$root/etc/passwd")
  home=$(awk -F: -v u="$user" '$1==u || $3==u {print $6; exit}' "$root/etc/passwd")
  [ -n "$uidgid" ] || fail "user $user is not in $img's /etc/passwd"
  mkdir -p "$SCRATCH/$name/upper" "$SCRATCH/$name/work" "$SCRATCH/$name/rootfs"
  # shellcheck disable=SC2016,SC2206
  CMD=(unshare --mount --propagation private -- sh -ec '
    lower=$1 s=$2 uidgid=$3 workdir=$4 in=$5 reg=$6 ro=$7; shift 7
    if [ "$ro" = 1 ]; then   # compose: read_only: true, tmpfs: [/tmp]
      mount --bind "$lower" "$s/rootfs" && mount -o remount,bind,ro "$s/rootfs"
    else
      mount -t overlay overlay -o "lowerdir=$lower,upperdir=$s/upper,workdir=$s/work" "$s/rootfs"
      mkdir -p "$s/rootfs/data/registry" "$s/rootfs/data/in"
    fi
    mount -t proc proc "$s/rootfs/proc"
    mount --rbind /dev "$s/rootfs/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$s/rootfs/tmp"
    mount --bind "$reg" "$s/rootfs/data/registry"
    if [ -d "$s/rootfs/data/in" ]; then mount --bind -o ro "$in" "$s/rootfs/data/in"; fi
    exec chroot --userspec="$uidgid" "$s/rootfs" /usr/bin/env -C "$workdir" "$@"
  ' image_cmd "$root" "$SCRATCH/$name" "$uidgid" "$workdir" "$IN" "$REG" "${READ_ONLY:-0}" \
    env -i "${envs[@]}" "HOME=$home" ${EXTRA_ENV:-} "$@")
}
entrypoint() { podman image inspect --format '{{range .Config.Entrypoint}}{{println .}}{{end}}' "$1" | sed '/^$/d'; }
mapfile -t SERVE_EP < <(entrypoint "$SERVE_TAG")
mapfile -t TRAIN_EP < <(entrypoint "$TRAIN_TAG")
RFM_EP=(rfm models)   # compose.yaml's `models` service: entrypoint ["rfm", "models"] (the PATH symlink)

# in_train NAME ARG…: one train-image process in the foreground (10 min at most), output indented.
in_train() {
  local name=$1; shift
  EXTRA_ENV="RFM_ACTOR=check-images" image_cmd "$TRAIN_TAG" "$TRAIN_ROOT" "$name" "$@"
  echo "  \$ ${*}"
  timeout 600 "${CMD[@]}" 2>&1 | sed 's/^/  | /'
  return "${PIPESTATUS[0]}"
}

# Host-side HTTP client (this machine's node): prints "STATUS BODY".
http() { node -e '
  const [method, url, body] = process.argv.slice(1);
  fetch(url, { method, headers: { "content-type": "application/json" }, body: body || undefined, signal: AbortSignal.timeout(5000) })
    .then(async (r) => console.log(r.status, (await r.text()).trim()), (e) => console.log(0, String(e.cause?.code ?? e)));
' "$@"; }
ready_version() { http GET "$URL/readyz" | sed -n 's/.*"model_version":\([0-9]*\).*/\1/p'; }
# wait_version V: poll /readyz every 20 ms (one process) until it reports version V, 10 s at most.
wait_version() {
  node -e '
    const [url, want] = process.argv.slice(1); const t0 = Date.now();
    (async () => {
      while (Date.now() - t0 < 10000) {
        try { const b = await (await fetch(url)).json(); if (String(b.model_version) === want) { console.log(`  server follows: /readyz reports v${want} ${Date.now() - t0} ms after the job exited`); return; } } catch {}
        await new Promise((r) => setTimeout(r, 20));
      }
      console.log(`  the server did not switch to v${want} within 10 s`); process.exit(1);
    })();
  ' "$URL/readyz" "$1" || fail "the server did not follow the alias move"
}

step "train image, entrypoint as compose runs it: registry on the shared volume, export at /data/in (ro)"
in_train train1 "${TRAIN_EP[@]}" /data/in/export.csv.gz --k 4 --seed 42 || fail "rfm train (train image)"
ls -l "$REG" | sed 's/^/  registry volume: /'

step "serve image, entrypoint ${SERVE_EP[*]}, read-only root (RFM_HOST/RFM_PORT overridden to a free loopback port)"
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
URL=http://127.0.0.1:$PORT
READ_ONLY=1 EXTRA_ENV="RFM_HOST=127.0.0.1 RFM_PORT=$PORT" image_cmd "$SERVE_TAG" "$SERVE_ROOT" serve "${SERVE_EP[@]}"
timeout 900 "${CMD[@]}" >"$SCRATCH/serve.log" 2>&1 &
SERVE_PID=$!; PIDS+=("$SERVE_PID")
for _ in $(seq 1 300); do
  [ "$(http GET "$URL/healthz" | cut -d' ' -f1)" = 200 ] && break
  kill -0 "$SERVE_PID" 2>/dev/null || { cat "$SCRATCH/serve.log"; fail "rfm serve exited"; }
  sleep 0.1
done
sed 's/^/  | /' "$SCRATCH/serve.log" | head -5
echo "  GET /healthz -> $(http GET "$URL/healthz")"
[ "$(http GET "$URL/healthz" | cut -d' ' -f1)" = 200 ] || fail "/healthz did not answer 200 within 30 s"

# The image's own HEALTHCHECK command, run inside the serve image's filesystem.
mapfile -t HC < <(podman image inspect --format '{{range .Config.Healthcheck.Test}}{{println .}}{{end}}' "$SERVE_TAG" | sed '/^$/d')
[ "${HC[0]:-}" = CMD ] || fail "the serve image has no exec-form HEALTHCHECK (got: ${HC[*]:-none})"
EXTRA_ENV="RFM_PORT=$PORT" image_cmd "$SERVE_TAG" "$SERVE_ROOT" healthcheck "${HC[@]:1}"
if timeout 10 "${CMD[@]}"; then echo "  HEALTHCHECK ($(podman image inspect --format '{{.Config.Healthcheck.Interval}}' "$SERVE_TAG") interval) in the image -> exit 0"; else fail "the image's HEALTHCHECK command exited non-zero"; fi
HC_PORT_OFF=$((PORT == 65535 ? PORT - 1 : PORT + 1))
EXTRA_ENV="RFM_PORT=$HC_PORT_OFF" image_cmd "$SERVE_TAG" "$SERVE_ROOT" healthcheck-off "${HC[@]:1}"
if timeout 10 "${CMD[@]}"; then fail "HEALTHCHECK passes against a port nothing listens on"; else echo "  HEALTHCHECK against a closed port -> exit non-zero (as it should)"; fi

echo "  GET /readyz  -> $(http GET "$URL/readyz")"
[ "$(ready_version)" = 1 ] || fail "the server does not serve version 1"
PRED=$(http POST "$URL/api/v1/predict" '{"cid":"12346","recency":12,"frequency":5,"monetary":830}')
echo "  POST /api/v1/predict -> $PRED"
case "$PRED" in "200 "*'"segment"'*) ;; *) fail "prediction failed" ;; esac

step "retrain and promote from the train image (as compose's train job); the running server hot-reloads"
in_train train2 "${TRAIN_EP[@]}" /data/in/export.csv.gz --k 5 --seed 7 --promote --description "check-images retrain" || fail "rfm train --promote"
wait_version 2

step "roll back from the train image as compose's models job (docker compose run --rm models rollback …)"
in_train rollback "${RFM_EP[@]}" rollback --reason "check-images rollback" || fail "rfm models rollback"
wait_version 1
in_train history "${RFM_EP[@]}" history --alias production || fail "rfm models history"

step "stop the server with SIGTERM (what docker stop sends)"
kill -TERM "$SERVE_PID"
SERVE_RC=0; wait "$SERVE_PID" || SERVE_RC=$?
PIDS=()
tail -3 "$SCRATCH/serve.log" | sed 's/^/  | /'
[ "$SERVE_RC" = 0 ] || fail "rfm serve exited with $SERVE_RC after SIGTERM"

step "done"
podman images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "rfm-(serve|train)|node" || true
echo "check-images: OK in $(( $(date +%s) - T0 ))s"
