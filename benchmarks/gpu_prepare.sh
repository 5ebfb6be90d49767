#!/usr/bin/env bash
# Run HERE, before the GPU call (issue 9): fills the two git-ignored folders that travel
# to the GPU machine through the device tool's `carry`, and checks what travels fits.
#
#   .whl/    wheels the GPU machine lacks (it has JAX, PyTorch, NumPy ... but no Keras,
#            no network): keras at the version pyproject.toml pins, and the small
#            packages keras and fcn_tutorial.datasets need that it lacks.
#   .carry/  camvid.npz (benchmarks/pack_camvid.py, from ../shared/data/camvid) and
#            keras_home/ with the one ImageNet weights file this project has offline
#            (MobileNet alpha 0.25). Never committed: .git/info/exclude ignores both.
#
# Usage, from the repository root:  bash benchmarks/gpu_prepare.sh
# Then: device run with carry [".whl", ".carry"], command "bash benchmarks/gpu_run.sh".
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SHARED=${SHARED:-../shared}
LIMIT_MIB=${LIMIT_MIB:-60}  # the device tool's limit is 64 MiB: keep a margin

mkdir -p .git/info
for pattern in /.whl/ /.carry/; do
  grep -qxF "$pattern" .git/info/exclude 2>/dev/null || echo "$pattern" >>.git/info/exclude
done

# The GPU machine's Python is 3.12 (KINDS.md): fetch wheels for it, not for this one.
keras_pin=$(grep -o '"keras==[0-9.]*"' pyproject.toml | tr -d '"')
rm -rf .whl && mkdir .whl
"$PY" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .whl \
  "$keras_pin" namex==0.1.0 optree==0.20.0 pooch==1.9.0 platformdirs==4.14.8
ls -l .whl

mkdir -p .carry/keras_home/models
if [ ! -f .carry/camvid.npz ]; then
  "$PY" benchmarks/pack_camvid.py --root "$SHARED/data/camvid" --out .carry/camvid.npz
fi
cp -n "$SHARED/keras_home/models/mobilenet_2_5_224_tf_no_top.h5" .carry/keras_home/models/

# What travels: tracked files, untracked files git does not ignore, and the carried ones.
bytes=$({
  git ls-files -z
  git ls-files -z --others --exclude-standard
  find .whl .carry -type f -print0
} | sort -zu | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
mib=$((bytes / 1048576))
echo "travels: ${mib} MiB (limit 64 MiB; this script insists on ${LIMIT_MIB})"
if [ "$mib" -gt "$LIMIT_MIB" ]; then
  echo "too large: ignore or remove big untracked files (runs/, *.keras), or pack CamVid" \
    "with a lower --quality" >&2
  exit 1
fi
