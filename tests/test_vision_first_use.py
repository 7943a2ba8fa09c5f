"""The first model load, asked for by several threads at once (app warm-up beside a first turn)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from testkit import REPO

SCRIPT = textwrap.dedent("""
    from concurrent.futures import ThreadPoolExecutor
    import numpy as np
    import vision

    face = np.full((48, 48), 128, np.uint8)
    with ThreadPoolExecutor(4) as pool:
        jobs = [pool.submit(vision.warmup)] + [pool.submit(vision.classify_faces, [face]) for _ in range(3)]
        readings = [job.result(timeout=300) for job in jobs[1:]]
    print(sorted({r[0].label for r in readings}))
""")


def test_simultaneous_first_uses_all_get_the_model():
    # A fresh interpreter: inside pytest the model is already loaded by other tests.
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("['")
