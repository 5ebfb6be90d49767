#!/usr/bin/env bash
# The ONE prepared script of issue 9's GPU session; see benchmarks/README.md.
#
# Runs on the GPU machine (NVIDIA H100/H200, JAX and PyTorch, no TensorFlow, no network),
# in the repository root, with .whl/ and .carry/ carried (benchmarks/gpu_prepare.sh):
#   1. installs the carried wheels (Keras and what it lacks) into /tmp/site;
#   2. benchmarks/fcn8s_speed.py under KERAS_BACKEND=jax: the package's VGG16 FCN-8s at
#      360x480 and the plain-PyTorch twin -> results/gpu/<date>-<device>.json;
#   3. the gpu-profile training on packed CamVid for a wall-clock budget (300 s), scored on
#      val, merged into the same JSON as "training";
#   4. time permitting, the benchmark again under KERAS_BACKEND=torch -> ...-keras-torch.json;
# and copies the JSON files, the training summary and log, and its own log to $OUT.
# Each step has a deadline, so the whole script ends within LIMIT_S seconds.
#
# Knobs (environment): LIMIT_S (570; call the device tool with timeout_s 600), TRAIN_BUDGET_S (300), PYTHON (python3), WHEELS (1:
# install .whl/*.whl), BENCH_ARGS, TRAIN_ARGS (extra options, e.g. --quick / --smoke for a
# CPU rehearsal), TORCH_BACKEND_RUN (1).
set -u -o pipefail
cd "$(dirname "$0")/.."
LIMIT_S=${LIMIT_S:-570}
TRAIN_BUDGET_S=${TRAIN_BUDGET_S:-300}
PY=${PYTHON:-python3}
OUT=${OUT:-/tmp/gpu-run-out}
mkdir -p "$OUT" results/gpu
exec > >(tee -a "$OUT/gpu_run.log") 2>&1
export PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2 XLA_PYTHON_CLIENT_PREALLOCATE=false
left() { echo $((LIMIT_S - SECONDS)); }
step() { echo; echo "=== [$SECONDS s] $*"; }

step "setup"
if [ "${WHEELS:-1}" = 1 ]; then
  ls .whl/*.whl >/dev/null 2>&1 || { echo "no .whl/: run benchmarks/gpu_prepare.sh and carry .whl"; exit 1; }
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
# Keras writes keras.json into KERAS_HOME: a copy, so the carried folder stays as sent.
mkdir -p /tmp/keras_home && cp -r .carry/keras_home/. /tmp/keras_home/ 2>/dev/null
export KERAS_HOME=/tmp/keras_home
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv 2>/dev/null \
  || echo "nvidia-smi: none here"
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
slug=$(echo "${gpu_name:-cpu}" | tr '[:upper:]' '[:lower:]' | tr -cs 'a-z0-9' '-' | sed 's/-*$//')
result="results/gpu/$(date -u +%Y-%m-%d)-${slug}.json"
echo "result file: $result"

# JAX is the backend issue 9 asks for; fall back to Keras on PyTorch if JAX sees no GPU.
backend=jax
if [ -n "$gpu_name" ] && ! KERAS_BACKEND=jax "$PY" -c \
  'import jax, sys; print("jax", jax.__version__, jax.devices()); sys.exit(all(d.platform == "cpu" for d in jax.devices()))'; then
  echo "JAX sees no GPU here: the package side runs on Keras' torch backend instead"
  backend=torch
fi
KERAS_BACKEND=$backend "$PY" -c 'import keras, numpy, torch, pooch; print("keras", keras.__version__, keras.backend.backend(), "| torch", torch.__version__, "cuda", torch.cuda.is_available(), "| numpy", numpy.__version__)' || exit 1

step "benchmark, KERAS_BACKEND=$backend ($(left) s left)"
# Leave the training step its budget plus about 110 s (unpack, load, evaluate).
bench_s=$(($(left) - TRAIN_BUDGET_S - 110))
[ "$bench_s" -lt 150 ] && bench_s=150
KERAS_BACKEND=$backend timeout "$bench_s" "$PY" benchmarks/fcn8s_speed.py --json "$result" ${BENCH_ARGS:-}
echo "benchmark exit code $?"
[ -f "$result" ] && cp "$result" "$OUT/"

step "training for ${TRAIN_BUDGET_S} s ($(left) s left)"
budget=$TRAIN_BUDGET_S
[ $(($(left) - 110)) -lt "$budget" ] && budget=$(($(left) - 110))
if [ ! -f .carry/camvid.npz ]; then
  echo "no .carry/camvid.npz: skipped (run benchmarks/gpu_prepare.sh and carry .carry)"
elif [ "$budget" -lt 60 ]; then
  echo "only $(left) s left: training skipped"
else
  # gpu_train.py is the demo's gpu profile (training.train with time_budget_s, as
  # `fcn-tutorial demo --profile gpu --budget-s N` runs it) fed from the packed .npz,
  # since the GPU machine has no CamVid folder; it merges the summary into "$result".
  KERAS_BACKEND=$backend timeout $(($(left) - 20)) "$PY" benchmarks/gpu_train.py \
    --data .carry/camvid.npz --budget-s "$budget" --out /tmp/gpu-train \
    --merge-into "$result" ${TRAIN_ARGS:-}
  echo "training exit code $?"
  cp /tmp/gpu-train/run/summary.json "$OUT/train_summary.json" 2>/dev/null
  cp /tmp/gpu-train/run/log.csv "$OUT/train_log.csv" 2>/dev/null
  [ -f "$result" ] && cp "$result" "$OUT/"
fi

if [ "${TORCH_BACKEND_RUN:-1}" = 1 ] && [ "$backend" = jax ] && [ "$(left)" -gt 150 ]; then
  step "benchmark, KERAS_BACKEND=torch ($(left) s left)"
  torch_result="${result%.json}-keras-torch.json"
  KERAS_BACKEND=torch timeout $(($(left) - 10)) "$PY" benchmarks/fcn8s_speed.py \
    --json "$torch_result" ${BENCH_ARGS:-}
  echo "benchmark exit code $?"
  [ -f "$torch_result" ] && cp "$torch_result" "$OUT/"
fi

step "done; against issue 9's targets:"
"$PY" - "$result" <<'PYTHON'
import json, sys

try:
    report = json.load(open(sys.argv[1]))
except (OSError, ValueError) as error:
    sys.exit(f"no result to summarise: {error}")
package, ratio, training = report.get("package", {}), report.get("ratio"), report.get("training")
share = package.get("forward_fraction_of_peak")
if "forward_batch1_ms" in package:
    print(f"device {report['device']['name']}, Keras {report['backend']}")
    print(f"forward batch 1: {package['forward_batch1_ms']:.2f} ms/frame (target <= 2)")
    print(f"forward batched: {'n/a' if share is None else f'{share:.1%}'} of peak (target >= 40%)")
else:
    print("no benchmark figures: see the benchmark step's output above")
if ratio:
    print(f"training ratio package/plain: {ratio['train_images_per_s']:.2f} (target >= 1.0)")
if training:
    print(f"val mean IU after {training['budget_s']:g} s: {training['mean_iu']:.4f} (goal 0.55)")
PYTHON
echo "files in $OUT:"
ls -l "$OUT"
sleep 1  # let tee write the last lines of the log
