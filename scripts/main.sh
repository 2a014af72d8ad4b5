#!/usr/bin/env bash
# The main job: set up (Debian engines, venv, package), then make patterns, store them, print
# their Tidal code and Pbind and write them as MIDI files into out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export AUDIOMANCER_HOME="${AUDIOMANCER_HOME:-$PWD/out/home}"
am=.venv/bin/audiomancer
mkdir -p out

$am doctor
echo
echo "== a drum pattern written by hand, stored, exported =="
$am build drums --bpm 125 --style techno --midi out/beat.mid \
    "kick: X...x...x...x... snare: ....x.......x... closed_hat: x.x.x.x.x.x.xxx. open_hat: ..x...x...x...x."
echo
echo "== a bass line in F# minor =="
$am build bass --bpm 125 --key F# --scale minor --midi out/bass.mid \
    "F#2 - . F#2 A2 . F#2 . C#3 - . B2 A2 . E2 ."
echo
echo "== the exported MIDI file imported back =="
$am import out/beat.mid --style techno --format tidal
echo
$am list
