#!/usr/bin/env bash
# Measures the app on a GPU server that has no Node and no browser (Python 3 is all it needs, PyTorch for the last two
# parts), from a working tree that carries gpu-pack/ (built here by `npm run gpu:pack`):
#
#   bash gpu-pack/run.sh OUTDIR [PART ...]
#
# PARTs, in the order they run by default: bench submit tune profile epoch references reproduce pytorch reduced
#
# Each part writes its JSON file to OUTDIR/parts (the log goes to OUTDIR/run.log, and everything into
# OUTDIR/gpu-pack-results.tar.gz at the end) and runs under its own time limit, so one that fails or hangs costs only
# its own slot; together they take at most ~9 minutes. Without a WebGPU adapter
# it says so and exits 1 before measuring anything. GPU_PACK_VULKAN_DRIVER names another Vulkan driver (an ICD file)
# than the NVIDIA one the server's driver mount provides; GPU_PACK_TORCH_DEVICE runs the PyTorch parts elsewhere
# than on cuda, and GPU_PACK_PYTHON with another Python than python3; GPU_PACK_POLICIES narrows the bench's policies.
set -uo pipefail
OUT=${1:?usage: bash gpu-pack/run.sh OUTDIR [PART ...]}
shift
PACK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$PACK")
PARTS=${*:-bench submit tune profile epoch references reproduce pytorch reduced}
mkdir -p "$OUT/parts"
OUT=$(cd "$OUT" && pwd)
RESULTS="$OUT/parts"
exec > >(tee -a "$OUT/run.log") 2>&1

WORK=${GPU_PACK_WORK:-/tmp/gpu-pack-run}
rm -rf "$WORK" && mkdir -p "$WORK"
echo "gpu-pack: unpacking into $WORK"
python3 - "$PACK" "$WORK" <<'PY' || { echo "gpu-pack: could not unpack"; exit 1; }
import lzma, os, shutil, sys, tarfile
pack, work = sys.argv[1:]
with lzma.open(os.path.join(pack, 'node.xz')) as source, open(os.path.join(work, 'node'), 'wb') as target:
    shutil.copyfileobj(source, target)
os.chmod(os.path.join(work, 'node'), 0o755)
for part in ('js', 'webgpu', 'lib'):
    with tarfile.open(os.path.join(pack, f'{part}.tar.xz')) as archive:
        archive.extractall(work)
PY
NODE="$WORK/node"
export LD_LIBRARY_PATH="$WORK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for icd in "${GPU_PACK_VULKAN_DRIVER:-}" /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
  /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -n "$icd" ] && [ -f "$icd" ]; then
    export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
    break
  fi
done
echo "gpu-pack: $("$NODE" --version), Vulkan driver ${VK_DRIVER_FILES:-none found}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv,noheader

"$NODE" --input-type=module -e "
const { create, globals } = await import('$WORK/node_modules/webgpu/index.js');
Object.assign(globalThis, globals);
const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
if (adapter === null) process.exit(1);
const { vendor, architecture, device, description } = adapter.info;
const { maxStorageBuffersPerShaderStage, maxComputeInvocationsPerWorkgroup, maxStorageBufferBindingSize } = adapter.limits;
console.log('gpu-pack: adapter', JSON.stringify({ vendor, architecture, device, description }));
console.log('gpu-pack: limits', JSON.stringify({ maxStorageBuffersPerShaderStage, maxComputeInvocationsPerWorkgroup, maxStorageBufferBindingSize }));
" || { echo "gpu-pack: no WebGPU adapter"; exit 1; }

BENCH=("$NODE" "$WORK/js/bench.mjs" --runtime node --data "$REPO/public/data/fashion-mnist")
TABLES="$WORK/convTables.json"
cp "$REPO/src/train/convTables.json" "$TABLES"
TORCH_DEVICE=${GPU_PACK_TORCH_DEVICE:-cuda}
PYTHON=${GPU_PACK_PYTHON:-python3}
SUMMARY=()

run_part() {
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS
  echo
  echo "gpu-pack: part $name (at most ${limit}s): $*"
  timeout --kill-after=10 "$limit" "$@"
  local rc=$?
  SUMMARY+=("$(printf '%-11s rc %-3s %4ss' "$name" "$rc" "$((SECONDS - start))")")
}

for part in $PARTS; do
  case $part in
    bench) run_part bench 110 "${BENCH[@]}" --case faithful:64,128 --case classroom:8,32,64 --steps 5 \
      --policies "${GPU_PACK_POLICIES:-tfjs,shaders,tables,app}" --json "$RESULTS/bench.json" ;;
    submit) run_part submit 40 "${BENCH[@]}" --case classroom:32 --steps 5 --policies tables --submit-batch 5,15,60,240 \
      --json "$RESULTS/bench-submit-batch.json" ;;
    tune) run_part tune 130 "${BENCH[@]}" --tune --case classroom:32 --case faithful:64 --steps 5 \
      --tables "$TABLES" --tables-out "$TABLES" --json "$RESULTS/tune.json" ;;
    profile) run_part profile 40 "${BENCH[@]}" --profile --backend webgpu --case faithful:64 --case classroom:32 \
      --steps 3 --tables "$TABLES" --json "$RESULTS/profile.json" ;;
    epoch) run_part epoch 35 "${BENCH[@]}" --loop --backend webgpu --case classroom:32 --tables "$TABLES" \
      --json "$RESULTS/epoch.json" ;;
    references) run_part references 35 "$PYTHON" "$REPO/scripts/parity/reference_curves.py" --device "$TORCH_DEVICE" \
      --seeds 1,2,3 --jobs 4 --scale classroom --out "$RESULTS/references.json" ;;
    reproduce)
      # Against the references just measured where there are some, else the shipped ones.
      REFERENCE="$RESULTS/references.json"
      [ -f "$REFERENCE" ] || REFERENCE="$REPO/public/reference/pytorch-reference.json"
      run_part reproduce 35 "$NODE" "$WORK/js/reproduce.mjs" --run 1 --scale classroom --seeds 1,2,3 --runtime dawn \
        --data "$REPO/public/data/fashion-mnist" --reference "$REFERENCE" --json "$RESULTS/reproduce.json" ;;
    pytorch) run_part pytorch 40 "$PYTHON" "$REPO/scripts/pytorch/step_speed.py" --device "$TORCH_DEVICE" \
      --cases faithful:64,128 classroom:8,32,64 --precision fp32,default --steps 20 --json "$RESULTS/pytorch-step.json" ;;
    reduced) run_part reduced 240 "$PYTHON" "$REPO/scripts/parity/reference_curves.py" --device "$TORCH_DEVICE" \
      --seeds 1,2,3 --jobs 8 --scale reduced --no-first-visit --out "$RESULTS/references-reduced.json" ;;
    *) echo "gpu-pack: unknown part $part" ;;
  esac
done
echo
printf '%s\n' "${SUMMARY[@]}"
ls -l "$RESULTS"
tar -czf "$OUT/gpu-pack-results.tar.gz" -C "$OUT" parts run.log && echo "gpu-pack: done; everything is in $OUT/gpu-pack-results.tar.gz"
