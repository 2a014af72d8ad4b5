"""Variation operators on SynthDefs: pure edits of the parsed graph (DESIGN §4, §6).

Every operator takes a parsed :class:`~audiomancer.supercollider.syntax.Program` holding a
SynthDef, a seeded ``random.Random`` and a mutation ``amount`` (0.0-1.0), and returns the edited
program with a log of what it did in words a musician reads (``Saw → Pulse``, ``Added LFO
modulation to cutoff``, ``cutoff: 1200.0 → 1440.0``). An operator that finds nothing to act on
raises :class:`NotApplicable` with the reason; it never returns broken code on purpose. Whether
the result compiles and sounds is checked by the caller (``audiomancer.generators.synths``) with
the real sclang and scsynth.

Sections are found by UGen family anywhere in the graph, not by position:

- oscillators: audio-rate calls of :data:`OSC_SIGNATURES` classes (``Saw.ar``, ``Pulse.ar``, ...);
- filters: audio-rate calls of :data:`FILTER_SIGNATURES` classes, in three groups (low-pass,
  high-pass, band-pass) that swap within themselves, resonance converted between ``rq``,
  ``MoogFF``'s gain and the 0-1 ``res`` of DFM1/MoogLadder;
- envelopes: ``Env`` constructors (``Env.adsr``, ``Env.perc``, ``Env([..], [..])``, ...),
  ``Linen``, ``Line``, ``XLine``;
- effects: reverbs, delays and lo-fi UGens taking their input first, and delays on a buffer
  they write themselves (``PingPong``, ``BufCombL``: the signal after the buffer)
  (:data:`EFFECT_KINDS`);
- the output: ``Out``/``OffsetOut``/``ReplaceOut``/``XOut``. Operators never remove or re-route
  it, and never touch ``doneAction``, ``gate`` or other ways a synth frees itself.

Where a new stage goes (distortion, an added or transplanted effect, a filter): on the signal
variable that feeds the output (``sig`` in ``Out.ar(out, Pan2.ar(sig, pan))``), as a new statement
``sig = f(sig)`` just before the statement that scales it by the envelope and amplitude, or
after its last assignment; when the output is written inline (``Out.ar(out, SinOsc.ar(f) *
env)``) the output's signal argument itself is wrapped, level-compensated.

The eight mutation operators (:data:`MUTATIONS`, with the spec's probability weights; its
add/remove effects are :func:`add_distortion`, :func:`add_effect` and :func:`remove_effect`)
and the crossover (:func:`crossover`: a sounding stage of B moved into A, see
:mod:`~audiomancer.evolution.synth_ops.crossover`) are the DEAP-style "tools"; the algorithms
that pick and validate them live in ``audiomancer.generators.synths``. Further edits used by
``generate_synth``'s keywords (:func:`set_oscillator`, :func:`set_filter`,
:func:`add_filter_envelope`, :func:`scale_controls`, :func:`scale_envelope`,
:func:`detune_oscillators`, :func:`add_stage`) follow the same rules.

The package's face: import everything from ``audiomancer.evolution.synth_ops``. Its modules,
inner ones first: ``protocol`` (:data:`Result`, :data:`Operator`, :class:`NotApplicable`),
``tables`` (the UGen vocabularies), ``roles`` (what a control does), ``edits`` (small AST edit
helpers), ``graph`` (locating the graph function), ``controls``, ``rates`` (the rate and kind
of every signal: audio, control, FFT chain, demand, buffer; :func:`rate_problem` finds a
graph that cannot build before sclang is asked), ``signal`` (envelopes, the output and where a
stage goes: on an audio signal only, never into an FFT chain nor on an ``Out.kr`` synth),
``retarget`` (swapping oscillator and filter classes), ``mutation`` and ``envelope_mutation``
(the mutation operators), ``transplant`` (closed copies of B's material; ``bus_reads``:
frequencies read from a control bus as controls; ``buffer_delays``: delays that own their
buffer), ``crossover`` (with ``granular``, ``modulators``, ``spectral``, ``resampling``,
``processing`` and ``wrapped``) and ``keyword_edits`` (the edits
``generate_synth``'s keywords use).
"""

from __future__ import annotations

from audiomancer.evolution.synth_ops.control_use import discrete_controls
from audiomancer.evolution.synth_ops.controls import controls
from audiomancer.evolution.synth_ops.crossover import (
    CROSSOVER_STAGES,
    PLUMBING,
    PROCESSING,
    Stage,
    average_defaults,
    choose_stage,
    crossover,
    crossover_stages,
    crossover_with,
    drop_unread_controls,
)
from audiomancer.evolution.synth_ops.envelope_mutation import modify_envelope
from audiomancer.evolution.synth_ops.graph import Graph, locate, rename
from audiomancer.evolution.synth_ops.keyword_edits import (
    add_chorus,
    add_filter_envelope,
    add_shelf,
    add_stage,
    detune_oscillators,
    scale_controls,
    scale_envelope,
    scale_output,
    set_filter,
    set_oscillator,
)
from audiomancer.evolution.synth_ops.mutation import (
    MUTATIONS,
    add_distortion,
    add_effect,
    add_lfo,
    remove_effect,
    swap_filter,
    swap_oscillator,
    tweak_defaults,
)
from audiomancer.evolution.synth_ops.protocol import NotApplicable, Operator, Result
from audiomancer.evolution.synth_ops.rates import (
    Signal,
    program_rate_problem,
    rate_problem,
    signal_of,
    signals_before,
    writes_control_only,
)
from audiomancer.evolution.synth_ops.roles import role_of
from audiomancer.evolution.synth_ops.signal import signal_point
from audiomancer.evolution.synth_ops.silent_defaults import audible_defaults
from audiomancer.evolution.synth_ops.spectral import own_buffers
from audiomancer.evolution.synth_ops.tables import (
    EFFECT_KINDS,
    FILTER_GROUPS,
    FILTER_SIGNATURES,
    OSC_SIGNATURES,
    OSC_TARGETS,
)

__all__ = [
    "CROSSOVER_STAGES",
    "EFFECT_KINDS",
    "FILTER_GROUPS",
    "FILTER_SIGNATURES",
    "MUTATIONS",
    "OSC_SIGNATURES",
    "OSC_TARGETS",
    "PLUMBING",
    "PROCESSING",
    "Graph",
    "NotApplicable",
    "Operator",
    "Result",
    "Signal",
    "Stage",
    "add_chorus",
    "add_distortion",
    "add_effect",
    "add_filter_envelope",
    "add_lfo",
    "add_shelf",
    "add_stage",
    "audible_defaults",
    "average_defaults",
    "choose_stage",
    "controls",
    "crossover",
    "crossover_stages",
    "crossover_with",
    "detune_oscillators",
    "discrete_controls",
    "drop_unread_controls",
    "locate",
    "modify_envelope",
    "own_buffers",
    "program_rate_problem",
    "rate_problem",
    "remove_effect",
    "rename",
    "role_of",
    "scale_controls",
    "scale_envelope",
    "scale_output",
    "set_filter",
    "set_oscillator",
    "signal_of",
    "signal_point",
    "signals_before",
    "swap_filter",
    "swap_oscillator",
    "tweak_defaults",
    "writes_control_only",
]
