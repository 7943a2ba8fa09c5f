"""The emotion model's numeric path follows what the CPU can do: never bf16 where it is only emulated."""

from __future__ import annotations

import itertools
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from transformers import ViTConfig, ViTForImageClassification

from core.config import load_config
from core.errors import HaruError
from core.cpu import CpuFeatures, cpu_features, usable_cores
from vision import EmotionClassifier, classify_faces
from testkit import require
from vision.precision import CHOICES, PATHS, choose_path, int8_available, int8_cache_path

# The CPUs the issue names: a first-generation Zen (AVX2 only), an AVX-512 CPU without bf16 (oneDNN
# reports bf16 "supported" there, by emulation), and this kind with avx512_bf16.
ZEN1 = CpuFeatures("AMD EPYC 7551", frozenset({"avx", "avx2", "fma"}), 2, "AVX2", False)
SKYLAKE = CpuFeatures("Intel Xeon Gold 6148", frozenset({"avx2", "avx512f", "avx512bw"}), 2, "AVX512", True)
ZEN4 = CpuFeatures("AMD EPYC 9B14", frozenset({"avx2", "avx512f", "avx512_bf16", "avx512_vnni"}), 2, "AVX512", True)
SAPPHIRE = CpuFeatures("Intel Xeon 8481C", frozenset({"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}),
                       4, "AVX512", True)
NO_TORCH_ANSWER = CpuFeatures("arm64", frozenset({"asimd", "bf16"}), 8)


@pytest.mark.parametrize("cpu, native", [(ZEN1, False), (SKYLAKE, False), (ZEN4, True), (SAPPHIRE, True),
                                         (NO_TORCH_ANSWER, True)])
def test_native_bf16_needs_the_hardware_flag_not_only_onednn(cpu, native):
    assert cpu.native_bf16 is native


def test_auto_never_picks_bf16_without_native_support():
    for flags, mkldnn, int8_ready in itertools.product(
            [frozenset(), frozenset({"avx2"}), frozenset({"avx512f", "avx512bw"}), frozenset({"avx512_bf16"}),
             frozenset({"amx_bf16"})], [None, False, True], [False, True]):
        cpu = CpuFeatures("fake", flags, 2, "", mkldnn)
        path = choose_path(cpu, "auto", int8_ready=int8_ready)
        assert path in PATHS
        if path == "bf16":
            assert cpu.native_bf16, (flags, mkldnn, int8_ready)


@pytest.mark.parametrize("cpu, int8_ready, expected", [
    (ZEN1, True, "int8"), (ZEN1, False, "fp32"), (SKYLAKE, True, "int8"), (SKYLAKE, False, "fp32"),
    (ZEN4, True, "int8"), (ZEN4, False, "bf16"), (SAPPHIRE, False, "bf16")])
def test_auto_choice_per_cpu(cpu, int8_ready, expected):
    assert choose_path(cpu, "auto", int8_ready=int8_ready) == expected


def test_forced_paths_are_honoured_and_int8_without_onnxruntime_falls_back():
    for path in PATHS:
        assert choose_path(ZEN4, path, int8_ready=True) == path
    assert choose_path(ZEN1, "bf16", int8_ready=True) == "bf16"      # forced: to measure emulation
    assert choose_path(ZEN1, "int8", int8_ready=False) == "fp32"
    with pytest.raises(ValueError, match="HARU_VISION_PRECISION"):
        choose_path(ZEN1, "fp16")


def test_the_setting_is_read_and_checked():
    assert load_config(env={}, dotenv=None).vision_precision == "auto"
    assert set(CHOICES) == {"auto", *PATHS}
    for value in PATHS:
        assert load_config(env={"HARU_VISION_PRECISION": value}, dotenv=None).vision_precision == value
    with pytest.raises(ValueError, match="HARU_VISION_PRECISION"):
        load_config(env={"HARU_VISION_PRECISION": "half"}, dotenv=None)


def test_this_machine_is_described_from_what_it_reports():
    cpu = cpu_features()
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    assert cpu.cores >= 1
    assert ("avx512_bf16" in text) == ("avx512_bf16" in cpu.flags)
    assert cpu.model in cpu.describe()


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-vit")
    ViTForImageClassification(ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                        intermediate_size=64, image_size=48, patch_size=12, num_channels=1,
                                        num_labels=7)).save_pretrained(folder)
    return folder


def test_the_real_classifier_follows_the_rule_on_this_machine(tiny_weights, tmp_path):
    cache = tmp_path / "cache"
    ready = int8_available(int8_cache_path(tiny_weights, cache, "tiny"))
    classifier = EmotionClassifier.from_pretrained(tiny_weights, precision="auto", cache_dir=cache, name="tiny")
    assert classifier.path == choose_path(cpu_features(), "auto", int8_ready=ready)
    assert classifier.path != "bf16" or cpu_features().native_bf16
    assert classifier.label == f"tiny ({classifier.path})"


def test_every_path_gives_the_same_reading_and_records_it(tiny_weights, tmp_path):
    faces = [np.random.default_rng(i).integers(0, 256, (48, 48), dtype=np.uint8) for i in range(4)]
    reference = None
    require(int8_available(), "onnxruntime and onnx are needed to build the int8 graph")
    for path in PATHS:
        classifier = EmotionClassifier.from_pretrained(tiny_weights, precision=path, cache_dir=tmp_path, name="t")
        assert classifier.path == path
        readings = classify_faces(faces, classifier=classifier)
        assert {r.model for r in readings} == {f"t ({path})"}
        probs = np.array([[r.probs[k] for k in r.probs] for r in readings])
        reference = probs if reference is None else reference
        np.testing.assert_allclose(probs, reference, atol=0.05)


def test_the_int8_graph_is_built_once_per_weights_file(tiny_weights, tmp_path):
    require(int8_available(), "onnxruntime and onnx are needed to build the int8 graph")
    EmotionClassifier.from_pretrained(tiny_weights, precision="int8", cache_dir=tmp_path, name="t")
    built = list(tmp_path.glob("*.int8.onnx"))
    assert built == [int8_cache_path(tiny_weights, tmp_path, "t")]
    stamp = built[0].stat().st_mtime_ns
    EmotionClassifier.from_pretrained(tiny_weights, precision="int8", cache_dir=tmp_path, name="t")
    assert built[0].stat().st_mtime_ns == stamp


def test_int8_threads_follow_the_free_cores_and_do_not_change_the_result(tiny_weights, tmp_path):
    require(int8_available(), "onnxruntime and onnx are needed to build the int8 graph")
    classifier = EmotionClassifier.from_pretrained(tiny_weights, precision="int8", cache_dir=tmp_path, name="t")
    runner = classifier.int8
    cores = usable_cores()
    assert 1 <= runner.threads() <= min(cores, runner.max_threads)
    x = np.random.default_rng(0).random((1, 1, 48, 48), dtype=np.float32)
    one, two = (runner.session(n).run(None, {"pixel_values": x})[0] for n in (1, 2))
    np.testing.assert_allclose(one, two, atol=1e-5)
    assert runner.session(1) is runner.session(1)       # a session per thread count, made once


def test_a_distilled_deit_student_runs_on_every_path_and_other_architectures_are_refused(tmp_path):
    from transformers import DeiTConfig, DeiTForImageClassificationWithTeacher

    require(int8_available(), "onnxruntime and onnx are needed to build the int8 graph")
    folder = tmp_path / "deit"
    DeiTForImageClassificationWithTeacher(DeiTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                                     intermediate_size=64, image_size=48, patch_size=12,
                                                     num_channels=1, num_labels=7)).save_pretrained(folder)
    faces = [np.random.default_rng(i).integers(0, 256, (48, 48), dtype=np.uint8) for i in range(3)]
    probs = {}
    for path in PATHS:
        student = EmotionClassifier.from_pretrained(folder, precision=path, cache_dir=tmp_path, name="student")
        assert type(student.model).__name__ == "DeiTForImageClassificationWithTeacher"
        probs[path] = student.probs(np.stack(faces))
    np.testing.assert_allclose(probs["int8"], probs["fp32"], atol=0.05)
    np.testing.assert_allclose(probs["bf16"], probs["fp32"], atol=0.05)
    config = folder / "config.json"
    config.write_text(config.read_text().replace("DeiTForImageClassificationWithTeacher", "BeitForImageClassification"))
    with pytest.raises(HaruError, match="Beit"):
        EmotionClassifier.from_pretrained(folder, precision="fp32", cache_dir=tmp_path)


def test_a_damaged_int8_graph_falls_back_to_torch_and_is_rebuilt_next_time(tiny_weights, tmp_path, caplog):
    require(int8_available(), "onnxruntime and onnx are needed to build the int8 graph")
    cached = int8_cache_path(tiny_weights, tmp_path, "t")
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(b"not an onnx graph")
    fallback = EmotionClassifier.from_pretrained(tiny_weights, precision="int8", cache_dir=tmp_path, name="t")
    assert fallback.path == choose_path(cpu_features(), "auto", int8_ready=False)
    assert fallback.path != "bf16" or cpu_features().native_bf16
    assert "could not be built or loaded" in caplog.text and not cached.exists()
    assert len(fallback.probs(np.zeros((1, 48, 48), np.uint8))) == 1
    again = EmotionClassifier.from_pretrained(tiny_weights, precision="int8", cache_dir=tmp_path, name="t")
    assert again.path == "int8" and cached.is_file()


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="AVX2 is an x86 instruction set")
def test_with_torch_held_to_avx2_this_machine_gets_fp32_not_emulated_bf16(tiny_weights, tmp_path):
    """oneDNN and ATen limited to AVX2 make this CPU look like the issue's first-generation Zen to torch."""
    script = f"""
import sys
from pathlib import Path
from core.cpu import cpu_features
from vision.classifier import EmotionClassifier
from vision.precision import int8_cache_path
cache = Path({str(tmp_path)!r})
damaged = int8_cache_path(Path({str(tiny_weights)!r}), cache, "t")
damaged.parent.mkdir(parents=True, exist_ok=True)
damaged.write_bytes(b"no graph")            # int8 unusable: the torch choice is what is left
c = EmotionClassifier.from_pretrained(Path({str(tiny_weights)!r}), precision="auto", cache_dir=cache, name="t")
print(cpu_features().torch_capability, cpu_features().native_bf16, c.path)
"""
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    capability, native, path = out.stdout.split()[-3:]
    assert capability in ("AVX2", "DEFAULT") and (native, path) == ("False", "fp32")


def test_the_student_is_chosen_by_setting(monkeypatch, tmp_path):
    from vision import ClassifierChoice
    from vision.classifier import _load_default

    monkeypatch.setenv("HARU_VISION_MODEL", "student")
    monkeypatch.setenv("HARU_VISION_PRECISION", "fp32")
    monkeypatch.setenv("HARU_DATA_DIR", str(tmp_path))
    student = _load_default.__wrapped__(ClassifierChoice.from_config(load_config()))
    assert "student" in student.name and student.path == "fp32"
    monkeypatch.setenv("HARU_VISION_MODEL", "teacher")
    with pytest.raises(ValueError, match="HARU_VISION_MODEL"):
        _load_default.__wrapped__(ClassifierChoice.from_config(load_config()))
