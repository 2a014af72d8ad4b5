"""The shipped SynthDef templates: each compiles, sounds, stays below full scale, frees itself."""

from __future__ import annotations

import re
from functools import cache

import pytest

from audiomancer.errors import SynthNotFoundError
from audiomancer.supercollider import lang, library, nrt, osc
from audiomancer.supercollider.nrt import RenderNote
from conftest import need_engine

NAMES = library.template_names()
_ARGS = re.compile(r"SynthDef\(\\(\w+),\s*\{\s*\|([^|]*)\|", re.S)


def arg_names(name: str) -> set[str]:
    """The argument names of a template's SynthDef function (a regex is enough here)."""
    found = _ARGS.search(library.template_source(name))
    assert found is not None
    return {part.split("=")[0].strip() for part in found.group(2).split(",")}


@cache
def compiled(name: str) -> bytes:
    return lang.compile_synthdef(library.template_source(name))


@pytest.fixture
def engines_present() -> None:
    need_engine("sclang")
    need_engine("scsynth")


def test_the_library_covers_every_category() -> None:
    assert len(NAMES) >= 12
    gated = {name for name in NAMES if "gate" in arg_names(name)}
    assert {"tb303", "juno_pad"} <= gated
    assert {"tb303", "juno_pad"} <= set(NAMES)
    categories = {library.template_category(name) for name in NAMES}
    assert categories == set(library.CATEGORIES)


def test_unknown_template_lists_the_names() -> None:
    with pytest.raises(SynthNotFoundError, match="tb303") as error:
        library.template_path("no_such_synth")
    assert isinstance(error.value, KeyError)
    assert "no_such_synth" in str(error.value)


@pytest.mark.parametrize("name", NAMES)
def test_source_shape(name: str) -> None:
    source = library.template_source(name)
    lines = source.splitlines()
    assert library.template_category(name) in library.CATEGORIES
    assert lines[1].startswith("// ") and len(library.template_description(name)) > 20
    assert source.count("SynthDef(") == 1
    assert source.rstrip().endswith("}).add;")
    found = _ARGS.search(source)
    assert found is not None and found.group(1) == name
    args = arg_names(name)
    assert {"out", "freq", "amp"} <= args
    if "gate" in args:  # a held note: its gate closes an envelope that frees the synth
        assert re.search(r"EnvGen\.kr\(Env\.\w+\([^)]*\), gate, doneAction: 2\)", source)
    else:  # a one-shot (drums, some effects): a fixed-length envelope frees it
        assert re.search(r"EnvGen\.kr\(Env\.perc\([^)]*\), doneAction: 2\)", source)


@pytest.mark.engines
@pytest.mark.parametrize("name", NAMES)
def test_compiles_with_the_file_name_and_controls(name: str, engines_present: None) -> None:
    header = nrt.read_synthdef_header(compiled(name))
    assert header.name == name
    assert {"out", "freq", "amp"} <= set(header.controls)
    assert header.controls["out"] == 0


@pytest.mark.engines
@pytest.mark.parametrize("name", NAMES)
def test_renders_audibly(name: str, engines_present: None) -> None:
    result = nrt.render_phrase(compiled(name))
    assert not result.is_silent, f"{name} is silent (peak {result.peak_dbfs:.1f} dBFS)"
    assert not result.has_nan
    assert result.peak_dbfs < -1.0, f"{name} peaks at {result.peak_dbfs:.1f} dBFS"
    assert result.audible
    assert result.rms_dbfs > -50


@pytest.mark.engines
@pytest.mark.parametrize("name", NAMES)
def test_frees_itself(name: str, engines_present: None) -> None:
    scgf = compiled(name)
    header = nrt.read_synthdef_header(scgf)
    note = RenderNote(0.0, 0.3, header.controls["freq"], header.controls["amp"])
    score = nrt.build_score(scgf, [note], end_s=4.0)
    # Ask for the node near the end: scsynth answers "Node 1000 not found" once it is freed.
    score.insert(-1, osc.Bundle(3.9, (osc.message("/n_set", nrt.FIRST_NODE_ID, "amp", 0.0),)))
    result = nrt.render_score(score, name=name)
    assert f"Node {nrt.FIRST_NODE_ID} not found" in result.log, f"{name} still runs at 3.9 s"
    assert nrt.window_peak(result.path, 3.5) < 1e-4
