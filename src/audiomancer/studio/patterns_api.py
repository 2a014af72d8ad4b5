"""``/api/patterns``: the stored patterns as cards, their sound, picture and MIDI; rating,
generating and evolving (the last two as background jobs)."""

from __future__ import annotations

from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from audiomancer.family import generation_numbers
from audiomancer.patterns.metadata import PatternMetadata
from audiomancer.patterns.model import PATTERN_TYPES, validate_pattern_type
from audiomancer.studio import requests as rq
from audiomancer.studio.context import Studio

MAX_COUNT: Final = 16
"""At most this many patterns per Generate."""
MAX_EVOLVE_GENERATIONS: Final = 10
CARD_KEYS: Final = (
    "id", "type", "style", "key", "scale", "bars", "bpm", "time_signature", "parent_ids",
    "generation_method", "mutation_amount", "mutation_log", "user_rating", "user_notes",
    "tidal_code", "sc_code",
)  # fmt: skip


def generations(records: list[PatternMetadata]) -> dict[str, int]:
    """Generation of each pattern: 0 without parents, else one more than its oldest-bred parent
    (parents missing from the store count as generation 0)."""
    return generation_numbers({r.id: r.parent_ids for r in records})


def card(record: PatternMetadata, generation: int) -> dict[str, Any]:
    """What the page shows of a pattern (everything but the MIDI data)."""
    data = {key: record[key] for key in CARD_KEYS}
    data["created_at"] = record.created_at.isoformat()
    data["generation"] = generation
    return data


def _cards(studio: Studio, pattern_type: str | None) -> list[dict[str, Any]]:
    everything = studio.store.list()
    gens = generations(everything)
    order = {r.id: seq for seq, r in enumerate(everything)}
    shown = [r for r in everything if pattern_type is None or r.type == pattern_type]
    shown.sort(key=lambda r: (-gens[r.id], -order[r.id]))  # newest generation first
    return [card(r, gens[r.id]) for r in shown]


def _card_of(studio: Studio, pattern_id: str) -> dict[str, Any]:
    record = studio.store.get(pattern_id)
    return card(record, generations(studio.store.list())[record.id])


async def list_patterns(request: Request) -> Response:
    studio = Studio.of(request)
    pattern_type = request.query_params.get("type") or None
    if pattern_type is not None:
        validate_pattern_type(pattern_type)
    cards = await run_in_threadpool(_cards, studio, pattern_type)
    return JSONResponse({"patterns": cards})


async def get_pattern(request: Request) -> Response:
    studio = Studio.of(request)
    return JSONResponse(await run_in_threadpool(_card_of, studio, request.path_params["id"]))


async def rate_pattern(request: Request) -> Response:
    studio = Studio.of(request)
    body = await rq.json_body(request)
    rating = rq.required_integer(body, "rating")
    notes = rq.text(body, "notes")
    pattern_id = request.path_params["id"]

    def work() -> dict[str, Any]:
        studio.store.rate(pattern_id, rating, notes)
        return _card_of(studio, pattern_id)

    return JSONResponse(await run_in_threadpool(work))


async def pattern_audio(request: Request) -> Response:
    studio = Studio.of(request)
    synth = request.query_params.get("synth") or None
    kit = request.query_params.get("kit") or None
    pattern_id = request.path_params["id"]

    def work() -> Any:
        return studio.audio.pattern_audio(studio.store.get(pattern_id), synth, kit)

    path = await run_in_threadpool(work)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "no-cache"})


async def pattern_picture(request: Request) -> Response:
    from audiomancer.patterns.picture import pattern_svg
    from audiomancer.patterns.svg import DARK

    studio = Studio.of(request)
    record = await run_in_threadpool(studio.store.get, request.path_params["id"])
    kind = "drum grid" if record.type == "drums" else "piano roll"
    svg = await run_in_threadpool(
        lambda: pattern_svg(record.to_pattern(), DARK, f"{kind} of {record.id}")
    )
    return Response(svg, media_type="image/svg+xml")


async def pattern_midi(request: Request) -> Response:
    from audiomancer.patterns.midi import midi_bytes

    studio = Studio.of(request)
    record = await run_in_threadpool(studio.store.get, request.path_params["id"])
    data = await run_in_threadpool(lambda: midi_bytes(record.to_pattern()))
    return Response(
        data,
        media_type="audio/midi",
        headers={"Content-Disposition": f'attachment; filename="{record.id}.mid"'},
    )


async def pattern_lineage(request: Request) -> Response:
    studio = Studio.of(request)
    pattern_id = request.path_params["id"]

    def work() -> dict[str, Any]:
        from audiomancer.patterns.lineage_picture import pattern_ancestry

        family = pattern_ancestry(studio.store, pattern_id)
        gens = generations(studio.store.list())
        family.sort(key=lambda r: (-gens.get(r.id, 0), r.id != pattern_id))
        return {"id": pattern_id, "family": [card(r, gens.get(r.id, 0)) for r in family]}

    return JSONResponse(await run_in_threadpool(work))


async def pattern_tree(request: Request) -> Response:
    from audiomancer.patterns import lineage_picture as tree
    from audiomancer.patterns.svg import DARK

    studio = Studio.of(request)
    pattern_id = request.path_params["id"]

    def work() -> str:
        family = tree.pattern_family(tree.pattern_ancestry(studio.store, pattern_id))
        return tree.family_tree_svg(family, pattern_id, DARK)

    return Response(await run_in_threadpool(work), media_type="image/svg+xml")


# --- long work: background jobs -----------------------------------------------------------


async def generate_patterns(request: Request) -> Response:
    studio = Studio.of(request)
    body = await rq.json_body(request)
    kind = validate_pattern_type(rq.required_text(body, "type"))
    count = rq.integer(body, "count", 1)
    assert count is not None
    if not 1 <= count <= MAX_COUNT:
        raise rq.BadRequest(f"invalid count {count!r}: expected 1 to {MAX_COUNT}")
    bars = rq.integer(body, "bars", 4)
    bpm = rq.number(body, "bpm", 120.0)
    temperature = rq.number(body, "temperature", 1.0)
    seed = rq.integer(body, "seed")
    style = rq.text(body, "style") or "basic"
    key = rq.text(body, "key") or "C"
    scale = rq.text(body, "scale") or "minor"

    def work() -> dict[str, Any]:
        from audiomancer.generators.patterns import PatternGenerator

        generator = studio.generator(PatternGenerator)
        made = []
        for index in range(count):
            # One seed makes the whole batch reproducible: pattern i gets seed + i.
            each = None if seed is None else seed + index
            if kind == "drums":
                record = generator.generate_drums(  # type: ignore[call-overload]
                    style,
                    bars,
                    bpm,
                    seed=each,
                    temperature=temperature,
                )
            else:
                generate = (
                    generator.generate_melody if kind == "melody" else generator.generate_bass
                )
                record = generate(  # type: ignore[call-overload]
                    key,
                    scale,
                    bars,
                    bpm,
                    seed=each,
                    temperature=temperature,
                )
            made.append(record.id)
        return {"created": made}

    return _accepted(studio.jobs.submit(f"generate {count} {kind}", work).to_json())


async def evolve_patterns(request: Request) -> Response:
    studio = Studio.of(request)
    body = await rq.json_body(request)
    population = rq.string_list(body, "population")
    generations_count = rq.integer(body, "generations", 1)
    assert generations_count is not None
    if not 1 <= generations_count <= MAX_EVOLVE_GENERATIONS:
        raise rq.BadRequest(
            f"invalid generations {generations_count!r}: expected 1 to {MAX_EVOLVE_GENERATIONS}"
        )
    mutation_rate = rq.number(body, "mutation_rate", 0.8)
    crossover_rate = rq.number(body, "crossover_rate", 0.5)
    seed = rq.integer(body, "seed")

    def work() -> dict[str, Any]:
        from audiomancer.generators.evolution import EvolutionEngine

        engine = EvolutionEngine(studio.store, lineage=studio.lineage)
        records = engine.evolve_population(
            population, generations_count, mutation_rate, crossover_rate, seed
        )
        created = [r.id for r in records if r.id not in set(population)]
        return {"created": created}

    return _accepted(studio.jobs.submit(f"evolve {len(population)} patterns", work).to_json())


def _accepted(job: dict[str, Any]) -> Response:
    return JSONResponse(job, status_code=202)


ROUTES: Final = [
    Route("/api/patterns", list_patterns),
    Route("/api/patterns/generate", generate_patterns, methods=["POST"]),
    Route("/api/patterns/evolve", evolve_patterns, methods=["POST"]),
    Route("/api/patterns/{id}", get_pattern),
    Route("/api/patterns/{id}/rating", rate_pattern, methods=["POST"]),
    Route("/api/patterns/{id}/audio", pattern_audio),
    Route("/api/patterns/{id}/picture.svg", pattern_picture),
    Route("/api/patterns/{id}/midi", pattern_midi),
    Route("/api/patterns/{id}/lineage", pattern_lineage),
    Route("/api/patterns/{id}/tree.svg", pattern_tree),
]
__all__ = ["PATTERN_TYPES", "ROUTES"]
