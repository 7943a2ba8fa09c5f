"""What this CPU can do, read once: model name, the instruction sets that decide numeric paths, free cores.

Numeric paths (bf16 autocast, int8) and thread counts are chosen from this, so the same code is fast on
an AVX2-only laptop and on a server with native bf16 (where emulated bf16 was 5-10x slower than fp32).
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# The flags that change which numeric path is fast (x86 names from /proc/cpuinfo; "bf16" is Arm's).
FLAGS_THAT_MATTER = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8", "bf16")
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})


@dataclass(frozen=True)
class CpuFeatures:
    model: str
    flags: frozenset[str]
    cores: int                          # cores this process may run on (affinity), not the host's count
    torch_capability: str = ""          # torch.backends.cpu.get_cpu_capability(): "AVX2", "AVX512", ...
    mkldnn_bf16: bool | None = None     # torch.ops.mkldnn._is_mkldnn_bf16_supported(); None: not asked

    @property
    def native_bf16(self) -> bool:
        """bf16 in hardware. oneDNN alone also says yes on plain AVX-512, where it emulates bf16 slowly."""
        return bool(self.flags & BF16_FLAGS) and self.mkldnn_bf16 is not False

    def describe(self) -> str:
        """``AMD EPYC; avx2 avx512f ...; torch AVX512`` — for benchmark headers and logs."""
        shown = " ".join(f for f in FLAGS_THAT_MATTER if f in self.flags) or "none of " + ", ".join(FLAGS_THAT_MATTER)
        torch_part = f"; torch {self.torch_capability}" if self.torch_capability else ""
        return f"{self.model}; {shown}{torch_part}; native bf16 {'yes' if self.native_bf16 else 'no'}"


def _cpuinfo() -> tuple[str, frozenset[str]]:
    """Model name (with family and model numbers: VMs often say only "AMD EPYC" for every generation)."""
    model, flags = platform.processor() or platform.machine() or "unknown CPU", frozenset()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return model, flags
    numbers = {}
    for line in text.split("\n\n")[0].splitlines():      # the first CPU speaks for all
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name":
            model = value
        elif key in ("cpu family", "model"):
            numbers[key] = value
        elif key in ("flags", "Features"):
            flags = frozenset(value.split())
    if len(numbers) == 2:
        model = f"{model} (family {numbers['cpu family']}, model {numbers['model']})"
    return model, flags


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):      # not on Linux
        return os.cpu_count() or 1


@lru_cache(maxsize=1)
def cpu_features(*, with_torch: bool = True) -> CpuFeatures:
    """This machine's features; ``with_torch`` also asks torch (imports it) for its own view."""
    model, flags = _cpuinfo()
    capability, mkldnn = "", None
    if with_torch:
        import torch
        capability = torch.backends.cpu.get_cpu_capability()
        mkldnn = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return CpuFeatures(model=model, flags=flags, cores=usable_cores(), torch_capability=capability,
                       mkldnn_bf16=mkldnn)


def free_cores(cores: int | None = None, load: float | None = None) -> float:
    """Cores not busy over the last minute: usable cores minus the 1-minute load average (>= 0)."""
    cores = usable_cores() if cores is None else cores
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:
            load = 0.0
    return max(0.0, cores - load)


def threads_for(cores: int, free: float, cap: int) -> int:
    """Worker threads for work whose threads wait on each other (llama.cpp, ONNX Runtime): one per free
    core, at least one, at most ``cap``; a thread on a core other work holds would stall the rest."""
    return max(1, min(cap, cores, int(free + 0.5)))
