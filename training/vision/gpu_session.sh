#!/bin/bash
# One GPU session: teacher (budgeted), fp16 export, then the DeiT student (budgeted), fp16 export.
# Layout, prepared on a machine with ../shared/data (the device carries ~20 MB besides the checkout):
#   python -m training.vision.pack --out .gpujob/data;  mkdir -p .gpujob/code/vision .gpujob/code/training/vision
#   cp vision/*.py .gpujob/code/vision/;  cp training/__init__.py .gpujob/code/training/
#   cp training/vision/*.py training/vision/splits.json .gpujob/code/training/vision/
#   cp training/vision/gpu_session.sh .gpujob/job.sh
# then run `bash .gpujob/job.sh` from the repository root there (carry .gpujob). The code is run from
# .gpujob/code so that it, not the checkout's vision/ and training/, is imported.
# Results: $OUT/{teacher,student}.tar.xz.part* (fp16, split under 15 MiB).
# A second call on a warm machine skips a finished teacher.
# TINY=1: the same steps on a CPU in a few minutes (the check before spending device time).
set -u
ROOT=$(pwd)
J=$ROOT/.gpujob
OUT=${OUT:-$J/out}; mkdir -p "$OUT"
export PYTHONPATH=$ROOT HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error
PY=${PY:-python3}
if [ "${TINY:-0}" = 1 ]; then
  T_ARGS="--total-steps 3 --warmup-steps 2 --batch-size 8 --limit-rows 64 --eval-every 1000"
  S_ARGS="$T_ARGS"
else
  T_ARGS="--budget-minutes ${T_MIN:-4.3} --epochs ${T_EP:-25} --batch-size 512 --lr 2e-4 --layer-decay 0.85 --warmup-steps 300 --eval-every 250 --checkpoint-minutes 2"
  S_ARGS="--budget-minutes ${S_MIN:-2.8} --epochs ${S_EP:-40} --batch-size 512 --lr 4e-4 --layer-decay 0.9 --warmup-steps 300 --eval-every 250 --checkpoint-minutes 2"
fi
cd "$J/code" || exit 2
{ nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null; $PY -c "import torch,transformers,PIL,training.vision.train as t;print(torch.__version__,transformers.__version__,PIL.__version__,torch.cuda.is_available(),t.__file__)"; } 2>&1 | tee -a "$OUT/log.txt"

ship() {  # $1 run folder, $2 name: fp16 copy of final/ + history, xz tar, split under 15 MiB
  $PY - "$1" "$J/ship_$2" <<'PYEOF'
import shutil, sys, torch
from pathlib import Path
from transformers import AutoModelForImageClassification
run, out = Path(sys.argv[1]), Path(sys.argv[2])
m = AutoModelForImageClassification.from_pretrained(run / "final", dtype=torch.float32)
m.to(torch.float16).save_pretrained(out)
for f in ("history.json", "args.json"):
    shutil.copy(run / f, out / f)
print("shipped", out, sum(p.stat().st_size for p in out.iterdir()))
PYEOF
  tar -C "$J" -cf - "ship_$2" | xz -T0 -2 | split -b 15M -d - "$OUT/$2.tar.xz.part"
  ls -la "$OUT" | tee -a "$OUT/log.txt"
}

if [ ! -f "$J/ship_teacher/config.json" ]; then
  $PY -m training.vision.train --init "$ROOT/vision/weights" --pack "$J/data" --out "$J/runs/teacher" $T_ARGS 2>&1 | grep -v "Loading weights\|Writing model" | tee -a "$OUT/log.txt"
  [ -f "$J/runs/teacher/final/config.json" ] || { echo "teacher did not finish" | tee -a "$OUT/log.txt"; exit 3; }
  ship "$J/runs/teacher" teacher
fi
$PY -m training.vision.train --student-of "$J/ship_teacher" --pack "$J/data" --out "$J/runs/student" $S_ARGS 2>&1 | grep -v "Loading weights\|Writing model" | tee -a "$OUT/log.txt"
[ -f "$J/runs/student/final/config.json" ] && ship "$J/runs/student" student
echo done | tee -a "$OUT/log.txt"
