#!/usr/bin/env bash
# The main job: set up (Debian engines, venv, package), then generate drum, bass and melody
# patterns with the shipped models, store them, print their Tidal code and Pbind, write them as
# MIDI files into out/, breed a variation, and make and render a synth.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export AUDIOMANCER_HOME="${AUDIOMANCER_HOME:-$PWD/out/home}"
am=.venv/bin/audiomancer
mkdir -p out

$am doctor
echo
echo "== a techno beat =="
$am generate drums --style techno --bars 4 --bpm 125 --seed 1 --midi out/techno.mid
echo
echo "== a bass line in F# minor =="
$am generate bass --key F# --scale minor --bars 4 --bpm 125 --seed 1 --midi out/bass.mid
echo
echo "== a melody in F# minor (Tidal only) =="
$am generate melody --key F# --scale minor --bars 4 --bpm 125 --seed 1 --midi out/melody.mid \
    --format tidal
echo
echo "== a variation of the beat =="
beat=$($am list --type drums --limit 1 | grep -o 'ptrn_[0-9a-f]\{8\}' | head -n 1)
$am mutate "$beat" --amount 0.4 --seed 7 --format tidal
echo
echo "== a synth for the bass line, compiled by sclang and rendered by scsynth =="
$am synth generate "warm acid bass with filter sweep" --category bass
$am synth audition warm_acid_bass_001 --out out/warm_acid_bass.wav
echo
$am list
