"""The studio's server over real HTTP: security guards, JSON API, errors in words.

The server is the real one (``python -m audiomancer studio --port 0``) on a temporary
AUDIOMANCER_HOME; the stores are read back with the same classes the CLI uses.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiomancer.patterns.steps import parse_steps
from audiomancer.patterns.store import PatternStore
from studio_harness import Studio, running_studio

DRUMS = "kick: x...x...x...x... snare: ....x.......x... closed_hat: x.x.x.x.x.x.x.x."
MELODY = "C4 - E4 . G4 - B4 . C5 - . . G4 - E4 ."


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("studio-home")


@pytest.fixture(scope="module")
def store(home: Path) -> PatternStore:
    return PatternStore(home / "patterns.sqlite3")


@pytest.fixture(scope="module")
def studio(home: Path, store: PatternStore) -> Iterator[Studio]:
    store.put(parse_steps(DRUMS, "drums", bpm=124, style="techno"))
    store.put(parse_steps(MELODY, "melody", key="C", scale="major"))
    with running_studio(home) as running:
        yield running


def test_lists_stored_patterns_newest_generation_first(studio: Studio, store: PatternStore) -> None:
    first = store.list()[0]
    child = store.put(first.to_pattern(), parent_ids=[first.id], generation_method="mutated")
    status, data = studio.json("GET", "/api/patterns")
    assert status == 200
    ids = [card["id"] for card in data["patterns"]]
    assert ids[0] == child.id and data["patterns"][0]["generation"] == 1
    assert set(ids) == {r.id for r in store.list()}
    status, drums = studio.json("GET", "/api/patterns?type=drums")
    assert {c["type"] for c in drums["patterns"]} == {"drums"}
    card = next(c for c in data["patterns"] if c["id"] == first.id)
    assert card["tidal_code"] == first["tidal_code"] and card["sc_code"] == first["sc_code"]


def test_foreign_host_is_refused(studio: Studio) -> None:
    status, body, _ = studio.request("GET", "/", headers={"Host": "attacker.example:80"})
    assert status == 421 and b"attacker.example" in body
    status, _, _ = studio.request("GET", "/api/patterns", headers={"Host": f"evil:{studio.port}"})
    assert status == 421
    status, _, _ = studio.request("GET", "/", headers={"Host": "127.0.0.1:1"})  # other port
    assert status == 421
    for own in (f"127.0.0.1:{studio.port}", f"localhost:{studio.port}"):
        assert studio.request("GET", "/", headers={"Host": own})[0] == 200


def test_cross_origin_post_is_refused_and_changes_nothing(
    studio: Studio, store: PatternStore
) -> None:
    record = store.list(pattern_type="melody")[0]
    path = f"/api/patterns/{record.id}/rating"
    for headers in (
        {"Origin": "http://attacker.example"},
        {"Origin": "null"},
        {"Origin": f"http://127.0.0.1:{studio.port + 1}"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        status, body, _ = studio.request("POST", path, {"rating": 1}, headers=headers)
        assert status == 403, headers
        assert b"refused" in body
    assert store.get(record.id).user_rating is None
    own = {"Origin": f"http://127.0.0.1:{studio.port}"}
    status, _, _ = studio.request("POST", path, {"rating": 2}, headers=own)
    assert status == 200 and store.get(record.id).user_rating == 2


def test_cross_origin_reads_of_the_api_are_refused_before_any_work(
    studio: Studio, store: PatternStore
) -> None:
    """Another origin's page embedding /api/ URLs (<audio src>, <img src>, no-cors fetch: no
    Origin, Sec-Fetch-Site cross-site or same-site) or reading them with CORS (Origin) is
    refused before any work: nothing is rendered or cached. The page, its files, the studio's
    own requests, typed URLs and scripts (no such headers) pass."""
    melody = store.list(pattern_type="melody")[0]
    cache = studio.home / "studio" / "audio"
    before = sorted(cache.iterdir()) if cache.exists() else []
    audio = f"/api/patterns/{melody.id}/audio?synth=fm_bass"
    embed = {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "audio"}
    for headers in (
        {**embed, "Sec-Fetch-Site": "cross-site"},
        {**embed, "Sec-Fetch-Site": "same-site"},  # another port of localhost
        {"Origin": "http://attacker.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
        {"Origin": f"http://127.0.0.1:{studio.port + 1}"},
    ):
        for path in (audio, "/api/synths/fm_bass/audio", f"/api/patterns/{melody.id}"):
            status, body, _ = studio.request("GET", path, headers=headers)
            assert status == 403, (path, headers)
            assert b"refused: a GET /api/" in body, body
    assert (sorted(cache.iterdir()) if cache.exists() else []) == before  # nothing rendered
    assert any("refused a GET /api/" in line and "cross-site" in line for line in studio.log)
    # (the drums on the default kit: the file test_audio_is_cached... renders too)
    drums = f"/api/patterns/{store.list(pattern_type='drums')[0].id}/audio?kit=default"
    for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {}):
        status, body, _ = studio.request("GET", drums, headers=headers)
        assert status == 200 and body[:4] == b"RIFF", headers
    page = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    assert studio.request("GET", "/", headers=page)[0] == 200  # a link to the studio works
    assert studio.request("GET", "/static/api.js", headers=page)[0] == 200


def test_security_headers(studio: Studio) -> None:
    status, _, headers = studio.request("GET", "/")
    assert status == 200
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"


def test_bad_input_is_an_error_in_words(studio: Studio, store: PatternStore) -> None:
    record = store.list()[0]
    status, data = studio.json("POST", f"/api/patterns/{record.id}/rating", {"rating": 9})
    assert status == 400 and data["error"] == "invalid rating 9: expected an integer from 1 to 5"
    status, data = studio.json("POST", f"/api/patterns/{record.id}/rating", {"rating": "x"})
    assert status == 400 and "'x'" in data["error"]
    status, data = studio.json("GET", "/api/patterns/ptrn_00000000")
    assert status == 404 and data["error"] == "pattern 'ptrn_00000000' not found"
    status, data = studio.json("GET", "/api/patterns?type=jazz")
    assert status == 400 and "'jazz'" in data["error"]
    status, body, _ = studio.request(
        "POST", "/api/patterns/evolve", headers={"Content-Type": "application/json"}
    )
    assert status == 400 and b"population" in body
    status, data = studio.json("POST", "/api/synths/nope/mutate", {})
    assert status == 404 and "'nope'" in data["error"]


def test_no_endpoint_takes_supercollider_code(studio: Studio) -> None:
    """A synth is named, never sent: a description is words for the generator, and code sent in
    any field is ignored or refused."""
    code = 'SynthDef(\\evil, { "rm -rf ~".unixCmd }).add'
    status, data = studio.json("POST", "/api/synths/generate", {"description": code * 10})
    assert status == 400 and "too long" in data["error"]
    status, data = studio.json("POST", "/api/synths/tb303/rating", {"rating": 3, "code": code})
    assert status == 200 and "code" not in data and "source_code" not in data


def test_midi_download_is_the_pattern(studio: Studio, store: PatternStore) -> None:
    from audiomancer.patterns.midi import midi_bytes

    record = store.list(pattern_type="drums")[0]
    status, body, headers = studio.request("GET", f"/api/patterns/{record.id}/midi")
    assert status == 200 and headers["content-type"] == "audio/midi"
    assert f'filename="{record.id}.mid"' in headers["content-disposition"]
    assert body == midi_bytes(record.to_pattern())


def test_rate_and_notes_are_stored(studio: Studio, store: PatternStore) -> None:
    record = store.list(pattern_type="drums")[0]
    body = {"rating": 4, "notes": "tight groove"}
    status, data = studio.json("POST", f"/api/patterns/{record.id}/rating", body)
    assert status == 200 and data["user_rating"] == 4
    stored = store.get(record.id)
    assert (stored.user_rating, stored["user_notes"]) == (4, "tight groove")


def test_generate_runs_as_a_job(studio: Studio, store: PatternStore) -> None:
    before = len(store)
    body = {"type": "drums", "count": 2, "style": "house", "bars": 2, "bpm": 122, "seed": 5}
    status, job = studio.json("POST", "/api/patterns/generate", body)
    assert status == 202 and job["state"] in ("queued", "running", "done")
    job = studio.wait_job(job)
    assert job["state"] == "done", job
    created = job["result"]["created"]
    assert len(created) == 2 and len(store) == before + 2
    assert all(store.get(i)["style"] == "house" and store.get(i)["bars"] == 2 for i in created)


def test_a_failed_job_says_why(studio: Studio) -> None:
    body = {"type": "melody", "count": 1, "key": "H", "scale": "minor"}
    job = studio.wait_job(studio.json("POST", "/api/patterns/generate", body)[1])
    assert job["state"] == "failed"
    assert "invalid key 'H'" in job["error"]


def _studio_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audiomancer", "studio", "--no-open", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _studio_command("--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_port_is_refused() -> None:
    result = _studio_command("--port", "70000")
    assert result.returncode == 1 and "invalid port 70000" in result.stderr


def test_another_host_prints_a_warning(tmp_path: Path) -> None:
    env = {**os.environ, "AUDIOMANCER_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "audiomancer", "studio", "--host", "0.0.0.0", "--port", "0",
         "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None and process.stderr is not None
        assert "audiomancer studio at http://127.0.0.1:" in process.stdout.readline()
        warning = process.stderr.readline() + process.stderr.readline()
        assert "warning:" in warning and "0.0.0.0" in warning and "127.0.0.1" in warning
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]


def test_the_cli_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, audiomancer.cli; print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('starlette', 'uvicorn') or 'studio' in m))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "['audiomancer.cli.studio']", result.stdout + result.stderr


def test_audio_is_cached_by_pattern_synth_and_kit(studio: Studio, store: PatternStore) -> None:
    melody = store.list(pattern_type="melody")[0]
    folder = studio.home / "studio" / "audio"
    url = f"/api/patterns/{melody.id}/audio?synth=sub_bass"
    status, body, headers = studio.request("GET", url)
    assert status == 200 and headers["content-type"] == "audio/wav" and body[:4] == b"RIFF"
    (cached,) = folder.glob(f"{melody.id}__synth-sub_bass__*.wav")
    stamp = cached.stat().st_mtime_ns
    assert studio.request("GET", url)[1] == body and cached.stat().st_mtime_ns == stamp
    assert studio.request("GET", f"/api/patterns/{melody.id}/audio?synth=pluck_lead")[0] == 200
    assert len(list(folder.glob(f"{melody.id}__synth-*.wav"))) == 2
    drums = store.list(pattern_type="drums")[0]
    assert studio.request("GET", f"/api/patterns/{drums.id}/audio?kit=default")[0] == 200
    (drum_wav,) = folder.glob(f"{drums.id}__kit-default__*.wav")
    from audiomancer.supercollider.nrt import measure

    heard = measure(drum_wav)
    assert heard.audible and heard.duration_s >= drums["bars"] * 4 * 60 / drums["bpm"]
    status, data = studio.json("GET", f"/api/patterns/{drums.id}/audio?kit=jazz")
    assert status == 400 and "invalid kit 'jazz'" in data["error"]
    status, data = studio.json("GET", f"/api/patterns/{melody.id}/audio?synth=nosuch")
    assert status == 404 and "'nosuch'" in data["error"]


def test_studio_help_names_its_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "audiomancer", "studio", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert result.returncode == 0
    for option in ("--port", "--host", "--no-open"):
        assert option in result.stdout
