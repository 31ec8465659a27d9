#!/bin/sh
# Verify mottrack on aarch64 (the ARTPEC-8 architecture) under qemu user emulation.
# Run by hand, as root, on a Debian/Ubuntu x86 host (not in CI; it takes an hour or more):
#
#     sudo eval/arm64_check.sh [ROOT]        # ROOT: where the arm64 userland goes
#                                            # (default /var/tmp/mottrack-arm64; not in the repo)
#
# 1. builds a Debian bookworm arm64 userland with debootstrap + qemu-user-static (once);
# 2. installs mottrack there as the README says (pip install .): install size, package count;
# 3. compiles a portable cache there (python -m mottrack compile --portable), and checks
#    that a second process loads every kernel from it (numba cache statistics);
# 4. hashes every registered tracker's output on one real sequence there and on this host
#    (eval/arm64_hashes.py) and compares them;
# 5. installs the test oracles and runs the tests that do not need the evaluator
#    (from outside the source tree, against the installed package; TEST_TIMEOUT s at most).
# Results go to $ROOT/results/ (log files, JSON); copy the figures into eval/results/arm64.md.
# STEPS=install,compile,hashes,tests (the default) selects steps 2-5; e.g. STEPS=tests re-runs
# the tests against the copy installed by an earlier run.
# Times under emulation are not camera times (qemu is 5-20x slower than native).
set -eu

ROOT=${1:-/var/tmp/mottrack-arm64}
REPO=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "$REPO/../shared" 2>/dev/null && pwd || true)
HOST_PY=${HOST_PY:-python3}
CA=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}
SYS="$ROOT/bookworm"
OUT="$ROOT/results"
mkdir -p "$OUT"
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/check.log"; }

# -- 1. the arm64 userland ---------------------------------------------------------------------
if [ ! -x "$SYS/usr/bin/python3" ]; then
    log "installing qemu-user-static and debootstrap; bootstrapping Debian bookworm arm64 into $SYS"
    apt-get install -y -q qemu-user-static debootstrap binfmt-support >/dev/null
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    update-binfmts --enable qemu-aarch64 || true
    debootstrap --arch=arm64 --foreign --variant=minbase \
        --include=python3,python3-venv,python3-pip,ca-certificates bookworm "$SYS" http://deb.debian.org/debian
    cp /usr/bin/qemu-aarch64-static "$SYS/usr/bin/"
    chroot "$SYS" /debootstrap/debootstrap --second-stage
fi
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
mountpoint -q "$SYS/proc" || mount -t proc proc "$SYS/proc"
cp /etc/resolv.conf "$SYS/etc/resolv.conf"
cp "$CA" "$SYS/etc/ssl/certs/host-ca.crt"
# a clean environment inside (the host's pip settings and cache variables do not apply there)
in_arm() {
    chroot "$SYS" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
        PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CERT=/etc/ssl/certs/host-ca.crt \
        SSL_CERT_FILE=/etc/ssl/certs/host-ca.crt REQUESTS_CA_BUNDLE=/etc/ssl/certs/host-ca.crt "$@"
}
log "arm64 userland: $(in_arm uname -m), $(in_arm python3 --version)"

if [ -n "$SHARED" ]; then
    mkdir -p "$SYS/src/shared"
    mountpoint -q "$SYS/src/shared" || mount --bind -o ro "$SHARED" "$SYS/src/shared"
fi
STEPS=",${STEPS:-install,compile,hashes,tests},"
step() { case "$STEPS" in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# -- 2. the lean install -----------------------------------------------------------------------
if step install; then
rm -rf "$SYS/src/mottrack" && mkdir -p "$SYS/src/mottrack"
(cd "$REPO" && git ls-files -z | xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$SYS/src/mottrack"
rm -rf "$SYS/opt/venv"
in_arm python3 -m venv /opt/venv
T0=$(date +%s)
in_arm /opt/venv/bin/pip install -q /src/mottrack 2>&1 | tee -a "$OUT/check.log"
T1=$(date +%s)
in_arm /opt/venv/bin/pip list --format=freeze > "$OUT/pip_list_lean.txt"
SITE=$(in_arm /opt/venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
SIZE=$(du -sm "$SYS$SITE" | cut -f1)
log "pip install . : $(grep -vc '^\(pip\|setuptools\)==' "$OUT/pip_list_lean.txt") packages besides pip/setuptools, site-packages $SIZE MB, $((T1 - T0)) s (emulated)"
cat "$OUT/pip_list_lean.txt" | tee -a "$OUT/check.log"
fi

# -- 3. portable cache: compile, then a fresh process loads it ----------------------------------
if step compile; then
log "compiling a portable cache into /opt/mottrack-cache"
rm -rf "$SYS/opt/mottrack-cache"
T0=$(date +%s)
in_arm /opt/venv/bin/python -m mottrack compile --portable --cache-dir /opt/mottrack-cache \
    > "$OUT/compile.txt" 2>&1 || { cat "$OUT/compile.txt"; exit 1; }
T1=$(date +%s)
cat "$OUT/compile.txt" | tee -a "$OUT/check.log"
log "compile --portable took $((T1 - T0)) s (emulated)"
in_arm env MOTTRACK_CACHE_DIR=/opt/mottrack-cache /opt/venv/bin/python -c "
import json, mottrack, mottrack._numba as nb, mottrack.__main__ as m
for name in mottrack.available_trackers():
    m.warm_tracker(name)
m.warm_decoders()
compiled, loaded = m._kernel_stats()
print(json.dumps({'portable': nb.PORTABLE, 'cache': nb.CACHE_DIR, 'compiled': compiled, 'loaded': len(loaded)}))
" | tee "$OUT/second_process.json" | tee -a "$OUT/check.log"
fi

# -- 4. same outputs as x86 ----------------------------------------------------------------------
if step hashes; then
if [ -n "$SHARED" ]; then
    log "tracker output hashes: arm64 (portable cache) vs this host"
    in_arm env MOTTRACK_CACHE_DIR=/opt/mottrack-cache /opt/venv/bin/python /src/mottrack/eval/arm64_hashes.py /src/shared \
        > "$OUT/hashes_arm64.json"
    (cd "$REPO" && PYTHONPATH="$REPO" "$HOST_PY" eval/arm64_hashes.py "$SHARED") > "$OUT/hashes_x86.json"
    if "$HOST_PY" -c "import json,sys; a,b=(json.load(open(p))['trackers'] for p in sys.argv[1:]); \
[print(k, 'identical' if a[k]==b.get(k) else 'DIFFERENT', a[k]['sha256'][:16], b.get(k,{}).get('sha256','-')[:16]) for k in a]; \
sys.exit(0 if a==b else 1)" "$OUT/hashes_arm64.json" "$OUT/hashes_x86.json" | tee -a "$OUT/check.log"; then
        log "outputs: identical on arm64 and x86"
    else
        log "outputs: DIFFERENT on arm64 and x86 (see $OUT/hashes_*.json)"
    fi
else
    log "../shared not found: output hashes skipped"
fi
fi

# -- 5. the tests that do not need the evaluator ------------------------------------------------
if step tests; then
log "installing the test oracles (pytest, hypothesis, filterpy, scipy, lap, jsonschema)"
in_arm /opt/venv/bin/pip install -q pytest hypothesis "filterpy>=1.4.5" scipy "lap>=0.5.12" jsonschema \
    2>&1 | tail -3 | tee -a "$OUT/check.log"
NOEVAL=$(cd "$SYS/src/mottrack/tests" && grep -L "mottrack.eval\|mottrack import eval\|motmetrics\|trackeval\|nbclient\|matplotlib" test_*.py | tr '\n' ' ')
log "tests: $NOEVAL"
# run from outside the source tree so the installed package is the one tested
mkdir -p "$SYS/src/run" && rm -rf "$SYS/src/run/tests" "$SYS/src/run/examples"
cp -r "$SYS/src/mottrack/tests" "$SYS/src/mottrack/examples" "$SYS/src/run/"
T0=$(date +%s)
in_arm timeout "${TEST_TIMEOUT:-3600}" sh -c "cd /src/run && MOTTRACK_CACHE_DIR=/opt/mottrack-cache /opt/venv/bin/python -m pytest -q -p no:cacheprovider -m 'not slow_host_sensitive' \
    $(for f in $NOEVAL; do printf 'tests/%s ' "$f"; done)" > "$OUT/pytest.txt" 2>&1 || true
T1=$(date +%s)
tail -25 "$OUT/pytest.txt" | tee -a "$OUT/check.log"
log "tests took $((T1 - T0)) s (emulated)"
fi

log "done; results in $OUT"
