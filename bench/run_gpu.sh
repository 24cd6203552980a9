#!/usr/bin/env bash
# bench_gpu.py on a lent GPU machine in one short go (about 5 minutes on an H100, 9 at most). That machine reaches
# no package registry: what its image lacks travels as wheels in .whl/ (gitignored), fetched here first.
#
#   bash bench/run_gpu.sh fetch   # here, with PyPI: requirements.txt's transformers, peft, bitsandbytes and
#                                 # json-repair for Python 3.12 x86-64 (bitsandbytes cut to its CPU and CUDA
#                                 # 12.8-13.2 libraries: 43 MB -> about 12)
#   bash bench/run_gpu.sh         # there: installs .whl/ into /tmp/site if present, runs bench/bench_gpu.py
#                                 # (extra arguments go to it) and writes gpu.json + gpu.log to $OUT, else
#                                 # bench/results/
#
# With the session's device tool: run(command="bash bench/run_gpu.sh", carry=[".whl"], timeout_s=600).
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES="transformers peft bitsandbytes json-repair"  # the GPU image has torch, accelerate, tokenizers, safetensors

if [ "${1:-}" = fetch ]; then
  pins=$(for name in $PACKAGES; do grep -E "^$name==" requirements.txt; done)
  rm -rf .whl && mkdir .whl
  # shellcheck disable=SC2086  # one pin per word
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl $pins
  for wheel in .whl/bitsandbytes-*.whl; do  # a library per CUDA, ROCm and XPU version: keep what a Hopper needs
    zip -q -d "$wheel" 'bitsandbytes/libbitsandbytes_rocm*' 'bitsandbytes/libbitsandbytes_xpu*' \
      'bitsandbytes/libbitsandbytes_cuda11*' 'bitsandbytes/libbitsandbytes_cuda12[0-6]*'
  done
  ls -l .whl
  exit 0
fi

out="${OUT:-bench/results}"
mkdir -p "$out"
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --root-user-action=ignore --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch, transformers, peft, bitsandbytes
print('torch', torch.__version__, 'CUDA', torch.version.cuda, '| transformers', transformers.__version__,
      '| peft', peft.__version__, '| bitsandbytes', bitsandbytes.__version__)"
status=0
timeout 540 python3 bench/bench_gpu.py --out "$out/gpu.json" "$@" 2>&1 | tee "$out/gpu.log" || status=$?
exit "$status"
