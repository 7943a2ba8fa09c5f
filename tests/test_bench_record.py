"""docs/benchmarks.md keeps one table per CPU kind: a run never overwrites figures taken on another CPU."""

from __future__ import annotations


from bench.__main__ import DOC, SECTION, _sections, record
from bench.common import Row, cpu_kind
from core.cpu import cpu_features

ZEN1 = "AMD EPYC (family 23, model 1); avx2; torch AVX2; native bf16 no"


def _rows(stage: str, value: float, path: str = "") -> list[Row]:
    return [Row(stage, "read_emotion 640x480 photo p50", value, "ms", "<= 40 ms", "note", path)]


def test_runs_on_two_cpus_keep_two_tables_and_a_rerun_replaces_only_its_stage(tmp_path):
    doc = tmp_path / "benchmarks.md"
    here = cpu_kind()
    record(_rows("vision", 33.0, "bf16 autocast (torch), chosen") + _rows("music", 0.2), quick=True,
           setting="2 usable cores", kind=here, doc=doc)
    record(_rows("vision", 250.0, "fp32 (torch), chosen"), quick=False, setting="2 usable cores", kind=ZEN1, doc=doc)
    record(_rows("vision", 21.0, "int8 (ONNX Runtime), chosen"), quick=False, setting="load 7", kind=here, doc=doc)
    intro, sections = _sections(doc.read_text())
    assert intro.startswith("# Benchmarks") and list(sections) == [here, ZEN1]
    mine = "\n".join(sections[here])
    assert "| vision | read_emotion 640x480 photo p50 | 21 | ms | <= 40 ms | int8 (ONNX Runtime), chosen |" in mine
    assert "| 33 |" not in mine and "| music |" in mine              # the other stage's rows stay
    assert "- vision: " in mine and "load 7" in mine and "- music: " in mine
    assert "| 250 |" in "\n".join(sections[ZEN1]) and "| 250 |" not in mine


def test_this_cpu_is_named_by_model_and_the_flags_that_pick_numeric_paths():
    cpu = cpu_features()
    kind = cpu_kind()
    assert kind.startswith(cpu.model)
    for flag in ("avx2", "avx512f", "avx512_bf16", "amx_bf16"):
        assert (flag in kind.split("; ")[1].split()) == (flag in cpu.flags)
    assert kind.endswith("native bf16 " + ("yes" if cpu.native_bf16 else "no"))


def test_the_shipped_page_names_a_cpu_above_every_table():
    text = DOC.read_text()
    before_first_section = text.split(SECTION, 1)[0]
    assert "| stage |" not in before_first_section
    _, sections = _sections(text)
    assert sections and all(any(line.startswith("| stage |") for line in lines) for lines in sections.values())
