"""The studio in a real browser: Debian's Chromium driven by Playwright.

Each test starts from the page of a real server on a temporary AUDIOMANCER_HOME and reads
what the page did back through the same stores the CLI uses. Every page fails its test on a
console error or an uncaught exception. Screenshots go to the test's temporary folder (and,
with AUDIOMANCER_SCREENSHOTS=DIR, to DIR as well).
"""

from __future__ import annotations

import http.server
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audiomancer.generators.lineage import LineageTracker
from audiomancer.patterns.steps import parse_steps
from audiomancer.patterns.store import PatternStore
from studio_harness import Studio, running_studio

CHROMIUM = Path("/usr/bin/chromium")
DRUMS = (
    "kick: x...x...x...x... snare: ....x.......x... closed_hat: x.x.x.x.x.x.x.x.",
    "kick: x..x..x...x..x.. snare: ....x.......x..x open_hat: ..x...x...x...x.",
    "kick: x.......x.x..... snare: ....x.......x... ride: x.x.x.x.x.x.x.x.",
    "kick: x...x...x...x... closed_hat: .x.x.x.x.x.x.x.x crash: x...............",
)
MELODY = "C4 - E4 . G4 - B4 . C5 - . . G4 - E4 ."
TIMEOUT_MS = 30_000


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        message = "chromium is not installed: apt-get install chromium (scripts/setup.sh --dev)"
        if os.environ.get("AUDIOMANCER_REQUIRE_ENGINES") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--host-resolver-rules=MAP rebind.test 127.0.0.1"],
        )
        yield launched
        launched.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> PatternStore:
    return PatternStore(home / "patterns.sqlite3")


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    home.mkdir(parents=True, exist_ok=True)
    with running_studio(home) as running:
        yield running


class Page:
    """A Playwright page on the studio that records console errors and page errors."""

    def __init__(self, page: Any, studio: Studio, shots: Path) -> None:
        self.page = page
        self.studio = studio
        self.shots = shots
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.set_default_timeout(TIMEOUT_MS)

    def open(self) -> Any:
        self.page.goto(self.studio.url)
        self.page.wait_for_selector("body[data-ready=true]")
        return self.page

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=path)
        extra = os.environ.get("AUDIOMANCER_SCREENSHOTS")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path

    def card(self, pattern_id: str) -> Any:
        return self.page.locator(f'#pattern-grid article[data-id="{pattern_id}"]')

    def wait_status(self, text: str) -> None:
        self.page.locator("#status").filter(has_text=text).wait_for()


@pytest.fixture
def page(browser: Any, studio: Studio, tmp_path: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=studio.url[:-1])
    wrapped = Page(context.new_page(), studio, tmp_path)
    yield wrapped
    context.close()
    assert wrapped.errors == [], f"console errors: {wrapped.errors}"


def _seed(store: PatternStore) -> list[str]:
    ids = [store.put(parse_steps(d, "drums", bpm=124, style="techno")).id for d in DRUMS]
    ids.append(store.put(parse_steps(MELODY, "melody", key="C", scale="major")).id)
    return ids


def test_page_lists_stored_patterns_with_a_picture_each(page: Page, store: PatternStore) -> None:
    ids = _seed(store)
    view = page.open()
    cards = view.locator("#pattern-grid article.card")
    assert cards.count() == len(ids)
    assert sorted(cards.evaluate_all("els => els.map(e => e.dataset.id)")) == sorted(ids)
    view.wait_for_function(
        "() => [...document.querySelectorAll('#pattern-grid img.picture')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    for pattern_id in ids:
        card = page.card(pattern_id)
        assert card.get_by_role("img").count() == 1
        assert pattern_id in card.get_by_role("heading").inner_text()
    drum_card = page.card(ids[0])
    assert "techno drums" in drum_card.inner_text() and "124" in drum_card.inner_text()
    page.shot("patterns")


def test_play_fetches_audio_and_the_audio_element_plays(page: Page, store: PatternStore) -> None:
    ids = _seed(store)
    view = page.open()
    for pattern_id in (ids[-1], ids[0]):  # a melody (a library synth) and drums (the kit)
        with view.expect_response(lambda r: "/audio" in r.url) as answer:
            page.card(pattern_id).get_by_role("button", name="Play", exact=True).click()
        response = answer.value
        assert response.status == 200, response.text()
        assert response.headers["content-type"].startswith("audio/")
        view.wait_for_function(
            "() => { const a = document.getElementById('player');"
            " return !a.paused && a.currentTime > 0.05; }"
        )
        assert view.evaluate("document.getElementById('player').dataset.playing").startswith(
            f"pattern:{pattern_id}"
        )
        button = page.card(pattern_id).get_by_role("button", name="Play", exact=True)
        assert button.get_attribute("aria-pressed") == "true"
    # playing the drums stopped the melody
    melody_play = page.card(ids[-1]).get_by_role("button", name="Play", exact=True)
    assert melody_play.get_attribute("aria-pressed") == "false"
    cached = list((page.studio.home / "studio" / "audio").glob("*.wav"))
    assert {p.name.split("__")[0] for p in cached} == {ids[0], ids[-1]}


def test_rate_is_stored_and_shown(page: Page, store: PatternStore) -> None:
    ids = _seed(store)
    view = page.open()
    card = page.card(ids[1])
    card.get_by_role("textbox", name="Notes").fill("good swing")
    card.get_by_role("button", name="Rate 4", exact=True).click()
    page.wait_status(f"rated {ids[1]}: 4 of 5")
    stored = store.get(ids[1])
    assert (stored.user_rating, stored["user_notes"]) == (4, "good swing")
    assert card.get_by_role("button", name="Rate 4").get_attribute("aria-pressed") == "true"
    view.reload()
    view.wait_for_selector("body[data-ready=true]")
    assert (
        page.card(ids[1]).get_by_role("button", name="Rate 4").get_attribute("aria-pressed")
        == "true"
    )


def test_copy_buttons_copy_the_exact_exports(page: Page, store: PatternStore) -> None:
    ids = _seed(store)
    view = page.open()
    record = store.get(ids[0])
    page.card(ids[0]).get_by_role("button", name="Copy Tidal").click()
    page.wait_status("copied the Tidal code")
    assert view.evaluate("navigator.clipboard.readText()") == record["tidal_code"]
    page.card(ids[0]).get_by_role("button", name="Copy Pbind").click()
    page.wait_status("copied the Pbind")
    assert view.evaluate("navigator.clipboard.readText()") == record["sc_code"]
    link = page.card(ids[0]).get_by_role("link", name="MIDI")
    with view.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{ids[0]}.mid"


def test_keyboard_rates_moves_and_plays(page: Page, store: PatternStore) -> None:
    ids = _seed(store)
    view = page.open()
    first = view.locator("#pattern-grid article.card").first
    first.focus()
    first_id = first.get_attribute("data-id")
    view.keyboard.press("5")
    page.wait_status(f"rated {first_id}: 5 of 5")
    assert store.get(first_id).user_rating == 5
    view.keyboard.press("ArrowRight")
    second_id = view.evaluate("document.activeElement.dataset.id")
    assert second_id != first_id and second_id in ids
    view.keyboard.press("2")
    page.wait_status(f"rated {second_id}: 2 of 5")
    assert store.get(second_id).user_rating == 2
    view.keyboard.press("ArrowLeft")
    assert view.evaluate("document.activeElement.dataset.id") == first_id
    with view.expect_response(lambda r: "/audio" in r.url):
        view.keyboard.press(" ")
    view.wait_for_function("() => !document.getElementById('player').paused")
    view.keyboard.press(" ")
    view.wait_for_function("() => document.getElementById('player').paused")


def test_generate_rate_and_evolve_to_a_rated_third_generation(
    page: Page, store: PatternStore
) -> None:
    """From an empty store: Generate drums, rate, Evolve, rate, Evolve, rate: all in the page."""
    view = page.open()
    assert view.locator("#patterns-empty").is_visible()
    form = view.get_by_role("form", name="Generate patterns")
    form.get_by_label("Type").select_option("drums")
    form.get_by_label("Style").select_option("techno")
    form.get_by_label("How many").fill("4")
    form.get_by_label("Bars").fill("2")
    form.get_by_label("Seed").fill("11")
    form.get_by_role("button", name="Generate").click()
    page.wait_status("generated 4 drums patterns")
    generation = [r.id for r in store.list()]
    assert len(generation) == 4 and all(store.get(i)["style"] == "techno" for i in generation)
    evolve = view.get_by_role("form", name="Evolve patterns")
    evolve.get_by_label("Mutation rate").fill("1")
    evolve.get_by_label("Seed").fill("3")
    shows = view.get_by_role("group", name="What is shown and how it plays")
    shows.get_by_label("Generations").select_option("newest")
    for round_number in (1, 2):
        cards = view.locator("#pattern-grid article.card")
        shown = cards.evaluate_all("els => els.map(e => e.dataset.id)")
        assert sorted(shown) == sorted(generation)
        scores = {}
        for index, pattern_id in enumerate(shown):
            score = 5 - (index % 4)  # 5, 4, 3, 2
            page.card(pattern_id).get_by_role("button", name=f"Rate {score}", exact=True).click()
            page.wait_status(f"rated {pattern_id}: {score} of 5")
            scores[pattern_id] = score
        assert {i: store.get(i).user_rating for i in shown} == scores
        view.get_by_role("button", name="Evolve", exact=True).click()
        page.wait_status("Evolve made")
        children = [r for r in store.list() if r.id not in set(generation) and r.parent_ids]
        children = [r for r in children if set(r.parent_ids) & set(shown)]
        assert children, f"round {round_number} made no child of the shown patterns"
        best = sorted(shown, key=lambda i: -scores[i])[: len(shown) // 2]
        for child in children:
            assert set(child.parent_ids) <= set(best), (child.parent_ids, scores)
        page.shot(f"evolved-{round_number}")
        newest = view.locator("#pattern-grid article.card").evaluate_all(
            "els => els.map(e => e.dataset.id)"
        )
        assert set(newest) & {c.id for c in children}
        generation = newest
    for pattern_id in generation:
        page.card(pattern_id).get_by_role("button", name="Rate 3", exact=True).click()
        page.wait_status(f"rated {pattern_id}: 3 of 5")
    rated = [store.get(i) for i in generation]
    assert all(r.user_rating == 3 for r in rated)
    assert max(_generation(store, r.id) for r in rated) >= 2  # the third generation (0, 1, 2)


def _generation(store: PatternStore, pattern_id: str) -> int:
    parents = store.get(pattern_id).parent_ids
    return 1 + max(_generation(store, p) for p in parents) if parents else 0


def test_lineage_shows_the_family_and_plays_an_ancestor(page: Page, store: PatternStore) -> None:
    ids = _seed(store)
    parent = store.get(ids[0])
    child = store.put(parent.to_pattern(), parent_ids=[ids[0], ids[1]],
                      generation_method="crossover")  # fmt: skip
    view = page.open()
    page.card(child.id).get_by_role("button", name="Lineage").click()
    family = view.locator("#lineage-view")
    family.get_by_role("heading", name=f"Family of {child.id}").wait_for()
    view.wait_for_function("() => document.getElementById('lineage-tree').naturalWidth > 0")
    members = family.locator("article.card").evaluate_all("els => els.map(e => e.dataset.id)")
    assert members[0] == child.id and set(members) == {child.id, ids[0], ids[1]}
    ancestor = family.locator(f'article[data-id="{ids[1]}"]')
    with view.expect_response(lambda r: f"/api/patterns/{ids[1]}/audio" in r.url) as answer:
        ancestor.get_by_role("button", name="Play", exact=True).click()
    assert answer.value.status == 200
    view.wait_for_function("() => !document.getElementById('player').paused")
    page.shot("lineage")


def test_synth_view_auditions_rates_mutates_and_breeds(page: Page, store: PatternStore) -> None:
    melody_id = _seed(store)[-1]
    view = page.open()
    view.get_by_role("button", name="Synths").click()
    grid = view.locator("#synth-grid")
    tb303 = grid.locator('article[data-id="tb303"]')
    with view.expect_response(lambda r: "/api/synths/tb303/audio" in r.url) as answer:
        tb303.get_by_role("button", name="Play", exact=True).click()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"].startswith("audio/")
    view.wait_for_function("() => !document.getElementById('player').paused")
    tb303.get_by_role("button", name="Rate 5", exact=True).click()
    page.wait_status("rated tb303: 5 of 5")
    tracker = LineageTracker(page.studio.home / "lineage.json")
    assert tracker.get_record("tb303").user_rating == 5
    tb303.get_by_text("Controls and mutation log").click()
    controls = tb303.get_by_role("table").locator("tbody td:first-child").all_inner_texts()
    assert {"freq", "amp", "cutoff"} <= set(controls)
    mutate = tb303.get_by_role("button", name="Mutate")
    mutate.click()
    # the job runs in the background: the page says so and takes other work meanwhile
    view.locator('#synth-grid button[aria-busy="true"]', has_text="Mutate").or_(
        view.locator("#status", has_text="Mutate made")
    ).first.wait_for()
    grid.locator('article[data-id="juno_pad"]').get_by_role("button", name="Rate 2").click()
    page.wait_status("Mutate made")
    assert tracker.get_record("juno_pad").user_rating == 2
    mutants = [r for r in tracker.records() if r.parent_ids == ["tb303"]]
    assert len(mutants) == 1 and mutants[0].generation_method == "mutation"
    mutant = grid.locator(f'article[data-id="{mutants[0].id}"]')
    assert "mutation, generation 1" in mutant.inner_text()
    mutant.get_by_text("Controls and mutation log").click()
    assert mutant.get_by_role("list", name="Mutation log").inner_text().strip()
    with view.expect_response(lambda r: f"/api/synths/{mutants[0].id}/audio" in r.url) as answer:
        mutant.get_by_role("button", name="Play", exact=True).click()
    assert answer.value.status == 200
    grid.locator('article[data-id="tb303"]').get_by_label("Pick for Breed").check()
    grid.locator('article[data-id="juno_pad"]').get_by_label("Pick for Breed").check()
    view.get_by_role("button", name="Breed", exact=True).click()
    page.wait_status("Breed made")
    children = [r for r in tracker.records() if r.generation_method == "crossover"]
    assert len(children) == 1 and children[0].parent_ids == ["tb303", "juno_pad"]
    page.shot("synths")
    # the bred synth plays the melodies and bass lines of the patterns view
    view.get_by_role("button", name="Patterns").click()
    view.get_by_label("Melody and bass play with").select_option(children[0].id)
    melody = page.card(melody_id)
    with view.expect_response(lambda r: "/audio" in r.url) as answer:
        melody.get_by_role("button", name="Play", exact=True).click()
    assert f"synth={children[0].id}" in answer.value.url and answer.value.status == 200
    cached = page.studio.home / "studio" / "audio"
    assert list(cached.glob(f"{melody_id}__synth-{children[0].id}__*.wav"))


def test_synth_generate_from_a_description(page: Page) -> None:
    view = page.open()
    view.get_by_role("button", name="Synths").click()
    form = view.get_by_role("form", name="Generate a synth")
    form.get_by_label("Description").fill("warm acid bass with filter sweep")
    form.get_by_label("Category").select_option("bass")
    form.get_by_role("button", name="Generate").click()
    page.wait_status("Generate made warm_acid_bass")
    tracker = LineageTracker(page.studio.home / "lineage.json")
    made = [r for r in tracker.records() if r.generation_method == "generated"]
    assert len(made) == 1 and made[0].id.startswith("warm_acid_bass")
    assert view.locator(f'#synth-grid article[data-id="{made[0].id}"]').is_visible()


def test_errors_show_in_words_on_the_page(page: Page) -> None:
    view = page.open()
    view.get_by_role("button", name="Synths").click()
    view.get_by_label("Mutation amount").fill("1.5")
    view.locator('#synth-grid article[data-id="tb303"]').get_by_role(
        "button", name="Mutate"
    ).click()
    alert = view.get_by_role("alert")
    alert.wait_for()
    assert "invalid amount 1.5" in alert.inner_text()
    assert any("invalid amount 1.5" in line for line in page.studio.log)
    view.get_by_role("button", name="Dismiss error").click()
    alert.wait_for(state="hidden")


def test_cross_origin_post_and_foreign_host_are_refused(
    browser: Any, studio: Studio, store: PatternStore, tmp_path: Path
) -> None:
    """A page from another origin posts to the studio; a rebound name reaches its port."""
    ids = _seed(store)
    attacker = tmp_path / "attacker"
    attacker.mkdir()
    (attacker / "index.html").write_text(
        "<!doctype html><script>"
        f"fetch('{studio.url}api/patterns/{ids[0]}/rating', {{method: 'POST', mode: 'no-cors',"
        " headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({rating: 1})})"
        ".then(() => document.title = 'sent', () => document.title = 'sent');"
        "</script>"
    )
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(attacker), **k
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        with page.expect_response(lambda r: "/rating" in r.url) as answer:
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        assert answer.value.status == 403
        page.wait_for_function("document.title === 'sent'")
        assert store.get(ids[0]).user_rating is None
        rebound = page.goto(f"http://rebind.test:{studio.port}/api/patterns")
        assert rebound is not None and rebound.status == 421
        assert ids[0] not in page.content()
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def test_another_origins_page_cannot_make_the_studio_render(
    browser: Any, studio: Studio, store: PatternStore, tmp_path: Path
) -> None:
    """A page of another origin on this machine (another port of 127.0.0.1: same-site, not
    same-origin) embeds the studio's audio, picture and list URLs: each is refused before any
    work, so nothing is rendered or cached; the studio's own page still plays."""
    ids = _seed(store)
    melody = ids[-1]
    audio = f"{studio.url}api/patterns/{melody}/audio?synth=tb303"
    attacker = tmp_path / "attacker"
    attacker.mkdir()
    (attacker / "index.html").write_text(
        "<!doctype html>"
        f'<audio src="{audio}" preload="auto"></audio>'
        f'<audio src="{studio.url}api/synths/tb303/audio" preload="auto"></audio>'
        f'<img src="{studio.url}api/patterns/{ids[0]}/tree.svg">'
        f"<script>fetch('{studio.url}api/patterns', {{mode: 'no-cors'}})"
        ".then(() => document.title = 'sent', () => document.title = 'sent');</script>"
    )
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(attacker), **k
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cache = studio.home / "studio" / "audio"
    context = browser.new_context()
    answers: dict[str, int] = {}
    try:
        page = context.new_page()
        page.on(
            "response",
            lambda r: r.url.startswith(studio.url) and answers.setdefault(r.url, r.status),
        )
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_function("document.title === 'sent'")
        deadline = time.monotonic() + 10  # the media elements ask on their own time
        while sum("same-site page" in line for line in studio.log) < 4:
            assert time.monotonic() < deadline, studio.log[-10:]
            time.sleep(0.05)
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    assert set(answers.values()) <= {403}, answers  # what the page could see of them
    # Media and image loads do not all surface as page responses: the server's log tells.
    refused = " ".join(line for line in studio.log if "from a same-site page" in line)
    for path in (
        f"/api/patterns/{melody}/audio",
        "/api/synths/tb303/audio",
        f"/api/patterns/{ids[0]}/tree.svg",
        "/api/patterns ",
    ):
        assert f"refused a GET {path}" in refused + " ", (path, studio.log[-10:])
    assert not cache.exists() or list(cache.iterdir()) == []  # nothing was rendered
