"""``/api/synths``: the synth library (templates and everything bred from them), auditions,
ratings, and mutate / breed / generate as background jobs. No endpoint takes SuperCollider
code: synths are named by id, and descriptions are plain words the generator reads."""

from __future__ import annotations

import hashlib
import threading
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from audiomancer.analyzers.synthdef import CATEGORIES, SynthDefInfo, parse_synthdef
from audiomancer.errors import AudiomancerError
from audiomancer.family import generation_numbers
from audiomancer.generators.lineage import LineageTracker, SynthRecord
from audiomancer.studio import requests as rq
from audiomancer.studio.context import Studio
from audiomancer.supercollider import library

MAX_DESCRIPTION: Final = 200

_parsed: dict[str, SynthDefInfo] = {}
_parsed_lock = threading.Lock()


def _parse(code: str) -> SynthDefInfo:
    """parse_synthdef, remembered by the code's digest (listing parses every synth)."""
    digest = hashlib.sha256(code.encode()).hexdigest()
    with _parsed_lock:
        found = _parsed.get(digest)
    if found is None:
        found = parse_synthdef(code)
        with _parsed_lock:
            _parsed[digest] = found
    return found


def _synth_json(
    tracker: LineageTracker, record: SynthRecord, generation: int, template: bool
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "template": template,
        "generation": generation,
        "generation_method": record.generation_method,
        "parent_ids": record.parent_ids,
        "mutation_log": record.mutation_log,
        "user_rating": record.user_rating,
        "user_notes": record.user_notes,
        "description": library.template_description(record.id) if template else "",
        "category": None,
        "controls": [],
        "problem": None,
    }
    try:
        info = _parse(tracker.source_code(record.id))
    except (AudiomancerError, ValueError, OSError) as error:
        data["problem"] = str(error)
        return data
    data["category"] = info.category
    data["controls"] = [
        {"name": c.name, "default": c.default, "rate": c.rate} for c in info.controls
    ]
    return data


def _synths(tracker: LineageTracker) -> list[dict[str, Any]]:
    stored = {r.id: r for r in tracker.records()}
    templates = library.template_names()
    records = dict(stored)
    for name in templates:
        records.setdefault(name, tracker.get_record(name))
    gens = generation_numbers({i: r.parent_ids for i, r in records.items()})
    # Newest generation first; within one, bred synths newest first, then templates A-Z.
    order = {synth_id: -i for i, synth_id in enumerate(stored)}
    order.update({name: i + 1 for i, name in enumerate(sorted(templates))})
    ids = sorted(records, key=lambda i: (-gens[i], order.get(i, 0)))
    return [_synth_json(tracker, records[i], gens[i], i in templates) for i in ids]


def _one(tracker: LineageTracker, synth_id: str) -> dict[str, Any]:
    for synth in _synths(tracker):
        if synth["id"] == synth_id:
            return synth
    return _synth_json(
        tracker, tracker.get_record(synth_id), 0, synth_id in library.template_names()
    )


async def list_synths(request: Request) -> Response:
    studio = Studio.of(request)
    synths = await run_in_threadpool(_synths, studio.lineage)
    return JSONResponse({"synths": synths, "categories": list(CATEGORIES)})


async def synth_audio(request: Request) -> Response:
    studio = Studio.of(request)
    path = await run_in_threadpool(studio.audio.synth_audio, request.path_params["id"])
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "no-cache"})


async def rate_synth(request: Request) -> Response:
    studio = Studio.of(request)
    body = await rq.json_body(request)
    rating = rq.required_integer(body, "rating")
    notes = rq.text(body, "notes")

    def work() -> dict[str, Any]:
        synth_id = studio.lineage.resolve(request.path_params["id"])
        studio.lineage.rate_synth(synth_id, rating, notes)
        return _one(studio.lineage, synth_id)

    return JSONResponse(await run_in_threadpool(work))


async def mutate(request: Request) -> Response:
    studio = Studio.of(request)
    body = await rq.json_body(request)
    amount = rq.number(body, "amount", 0.3)
    seed = rq.integer(body, "seed")
    synth_id = request.path_params["id"]
    await run_in_threadpool(studio.lineage.resolve, synth_id)  # unknown: fails now, not in the job

    def work() -> dict[str, Any]:
        from audiomancer.generators.evolution import EvolutionEngine

        engine = EvolutionEngine(studio.store, lineage=studio.lineage)
        child = engine.mutate_synth(synth_id, amount, seed)
        return {"created": [child["id"]]}

    return JSONResponse(studio.jobs.submit(f"mutate {synth_id}", work).to_json(), 202)


async def breed(request: Request) -> Response:
    studio = Studio.of(request)
    body = await rq.json_body(request)
    first, second = rq.required_text(body, "first"), rq.required_text(body, "second")
    seed = rq.integer(body, "seed")
    id_a = await run_in_threadpool(studio.lineage.resolve, first)
    id_b = await run_in_threadpool(studio.lineage.resolve, second)
    if id_a == id_b:
        raise rq.BadRequest(f"pick two different synths to breed, not {id_a!r} twice")

    def work() -> dict[str, Any]:
        from audiomancer.generators.synths import breed_synths

        tracker = studio.lineage
        a, b = tracker.load_synth(id_a), tracker.load_synth(id_b)
        child = breed_synths(a, b, seed, tracker=tracker)
        child.parent_ids = [id_a, id_b]
        return {"created": [tracker.save(child)["id"]]}

    return JSONResponse(studio.jobs.submit(f"breed {id_a} × {id_b}", work).to_json(), 202)


async def generate(request: Request) -> Response:
    studio = Studio.of(request)
    body = await rq.json_body(request)
    description = rq.required_text(body, "description").strip()
    if len(description) > MAX_DESCRIPTION:
        raise rq.BadRequest(f"description is too long ({len(description)} > {MAX_DESCRIPTION})")
    category = rq.text(body, "category") or "bass"
    if category not in CATEGORIES:
        raise rq.BadRequest(
            f"invalid category {category!r}: expected one of {', '.join(CATEGORIES)}"
        )
    seed = rq.integer(body, "seed")

    def work() -> dict[str, Any]:
        from audiomancer.generators.synths import generate_synth

        synth = generate_synth(description, None, category, seed=seed, tracker=studio.lineage)
        return {"created": [studio.lineage.save(synth)["id"]]}

    return JSONResponse(studio.jobs.submit(f"generate {description!r}", work).to_json(), 202)


ROUTES: Final = [
    Route("/api/synths", list_synths),
    Route("/api/synths/breed", breed, methods=["POST"]),
    Route("/api/synths/generate", generate, methods=["POST"]),
    Route("/api/synths/{id}/audio", synth_audio),
    Route("/api/synths/{id}/rating", rate_synth, methods=["POST"]),
    Route("/api/synths/{id}/mutate", mutate, methods=["POST"]),
]
