// The patterns view: cards, Generate, Evolve, the family (lineage) panel.

import { api, busy, clearError, runJob, showError, showStatus } from "./api.js";
import { fillSelect, h, isTextField, ratingControl, showRating } from "./dom.js";
import * as player from "./player.js";

const $ = (id) => document.getElementById(id);
let shown = []; // cards in the grid, in order
let fresh = new Set(); // ids just made by Generate or Evolve

function describe(card) {
  if (card.type === "drums") return card.style ? `${card.style} drums` : "drums";
  const key = card.key ? `${card.key} ${card.scale ?? ""}`.trim() : "no key";
  return `${card.type} in ${key}`;
}

function audioUrl(card) {
  const params = new URLSearchParams();
  if (card.type === "drums") {
    params.set("kit", $("kit-choice").value);
  } else if ($("synth-choice").value) {
    params.set("synth", $("synth-choice").value);
  }
  return `/api/patterns/${encodeURIComponent(card.id)}/audio?${params}`;
}

function playKey(card) {
  return `pattern:${card.id}:${audioUrl(card)}`;
}

async function rate(element, card, score) {
  clearError();
  try {
    const notes = element.querySelector("textarea").value;
    const updated = await api(`/api/patterns/${encodeURIComponent(card.id)}/rating`, {
      method: "POST",
      body: { rating: score, notes },
    });
    card.user_rating = updated.user_rating;
    card.user_notes = updated.user_notes;
    for (const same of document.querySelectorAll(`.card[data-id="${card.id}"] .rating`)) {
      showRating(same, updated.user_rating);
    }
    showStatus(`rated ${card.id}: ${score} of 5`);
  } catch (error) {
    showError(`could not rate ${card.id}: ${error.message}`);
  }
}

async function saveNotes(element, card) {
  if (card.user_rating === null) {
    showStatus("notes are saved with the rating: rate this pattern to keep them");
    return;
  }
  await rate(element, card, card.user_rating);
}

async function copy(text, what) {
  clearError();
  try {
    await navigator.clipboard.writeText(text);
    showStatus(`copied the ${what}`);
  } catch (error) {
    showError(`could not copy the ${what}: ${error.message}`);
  }
}

function play(card, button) {
  return player.toggle(playKey(card), audioUrl(card), button, card.id);
}

export function makeCard(card) {
  const playButton = h("button", { type: "button", class: "play", "aria-pressed": "false" }, "Play");
  playButton.addEventListener("click", () => play(card, playButton));
  const parents = card.parent_ids.length ? card.parent_ids.join(" × ") : "none";
  const element = h(
    "article",
    {
      class: `card${fresh.has(card.id) ? " new" : ""}`,
      tabindex: "0",
      "data-id": card.id,
      "aria-label": `${card.id}, ${describe(card)}`,
    },
    h("img", {
      class: "picture",
      src: `/api/patterns/${encodeURIComponent(card.id)}/picture.svg`,
      alt: `${card.type === "drums" ? "drum grid" : "piano roll"} of ${card.id}`,
    }),
    h("h3", {}, card.id),
    h(
      "dl",
      { class: "meta" },
      h("dt", {}, "type"), h("dd", {}, describe(card)),
      h("dt", {}, "length"), h("dd", {}, `${card.bars} bar${card.bars === 1 ? "" : "s"} at ${card.bpm} bpm`),
      h("dt", {}, "made by"), h("dd", {}, `${card.generation_method}, generation ${card.generation}`),
      h("dt", {}, "parents"), h("dd", {}, parents),
    ),
    card.mutation_log.length
      ? h("details", { class: "log" },
        h("summary", {}, `${card.mutation_log.length} change${card.mutation_log.length === 1 ? "" : "s"}: ${card.mutation_log[0]}`),
        h("ol", { "aria-label": "Changes" }, card.mutation_log.map((line) => h("li", {}, line))))
      : null,
    h("div", { class: "actions" }, playButton, ratingControl(card.user_rating, (score) => rate(element, card, score))),
    h("label", { class: "notes" }, "Notes",
      h("textarea", { rows: "2", onchange: () => saveNotes(element, card) }, card.user_notes ?? "")),
    h(
      "div",
      { class: "exports" },
      h("button", { type: "button", onclick: () => copy(card.tidal_code, "Tidal code") }, "Copy Tidal"),
      h("button", { type: "button", onclick: () => copy(card.sc_code, "Pbind") }, "Copy Pbind"),
      h("a", { href: `/api/patterns/${encodeURIComponent(card.id)}/midi`, download: `${card.id}.mid` }, "MIDI"),
      h("button", { type: "button", onclick: () => openLineage(card.id) }, "Lineage"),
    ),
  );
  element.card = card;
  return element;
}

function filtered(cards) {
  if ($("filter-generation").value !== "newest" || cards.length === 0) return cards;
  const newest = Math.max(...cards.map((c) => c.generation));
  return cards.filter((c) => c.generation === newest);
}

export async function load() {
  const type = $("filter-type").value;
  const data = await api(`/api/patterns${type ? `?type=${encodeURIComponent(type)}` : ""}`);
  shown = filtered(data.patterns);
  const grid = $("pattern-grid");
  const focused = document.activeElement?.closest?.(".card")?.dataset.id;
  grid.replaceChildren(...shown.map(makeCard));
  $("patterns-empty").hidden = shown.length > 0;
  $("evolve-hint").textContent = shown.length
    ? `Breeds the next generation from the ${shown.length} patterns shown, by your ratings.`
    : "Generate or show some patterns to evolve them.";
  if (focused) grid.querySelector(`.card[data-id="${focused}"]`)?.focus();
}

async function openLineage(id) {
  clearError();
  try {
    const data = await api(`/api/patterns/${encodeURIComponent(id)}/lineage`);
    $("lineage-heading").textContent = `Family of ${id}`;
    const tree = $("lineage-tree");
    tree.src = `/api/patterns/${encodeURIComponent(id)}/tree.svg`;
    tree.alt = `family tree of ${id}`;
    $("lineage-cards").replaceChildren(...data.family.map(makeCard));
    $("lineage-view").hidden = false;
    $("lineage-view").scrollIntoView({ block: "start" });
  } catch (error) {
    showError(`could not show the family of ${id}: ${error.message}`);
  }
}

function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) values[name] = value === "" ? null : value;
  return values;
}

async function generate(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const values = formValues(form);
  await busy($("generate"), async () => {
    const result = await runJob("/api/patterns/generate", values, `generating ${values.count} ${values.type}`);
    fresh = new Set(result.created);
    $("filter-type").value = "";
    await load();
    showStatus(`generated ${result.created.length} ${values.type} patterns: ${result.created.join(", ")}`);
  });
}

async function evolve(event) {
  event.preventDefault();
  const values = formValues(event.currentTarget);
  const population = shown.map((c) => c.id);
  if (population.length === 0) {
    showError("nothing to evolve: generate some patterns first");
    return;
  }
  await busy($("evolve"), async () => {
    const result = await runJob("/api/patterns/evolve", { ...values, population },
      `evolving ${population.length} patterns`);
    fresh = new Set(result.created);
    await load();
    showStatus(result.created.length
      ? `Evolve made ${result.created.length} new patterns: ${result.created.join(", ")}`
      : "Evolve kept the parents as they were (no offspring was changed): raise the mutation rate");
  });
}

function cardsIn(container) {
  return [...container.querySelectorAll(":scope > .card")];
}

function move(cardElement, key) {
  const cards = cardsIn(cardElement.parentElement);
  const index = cards.indexOf(cardElement);
  let target = index;
  if (key === "ArrowRight") target = index + 1;
  if (key === "ArrowLeft") target = index - 1;
  if (key === "ArrowDown" || key === "ArrowUp") {
    const columns = cards.filter((c) => c.offsetTop === cards[0].offsetTop).length || 1;
    target = index + (key === "ArrowDown" ? columns : -columns);
  }
  cards[Math.max(0, Math.min(cards.length - 1, target))]?.focus();
}

function onKey(event) {
  const cardElement = event.target.closest?.(".card");
  if (!cardElement || isTextField(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
  const card = cardElement.card;
  if (event.key === " " && event.target === cardElement) {
    event.preventDefault();
    play(card, cardElement.querySelector("button.play"));
  } else if (/^[1-5]$/.test(event.key)) {
    event.preventDefault();
    rate(cardElement, card, Number(event.key));
  } else if (event.key.startsWith("Arrow")) {
    event.preventDefault();
    move(cardElement, event.key);
  }
}

export async function init(options) {
  fillSelect($("gen-type"), options.types);
  fillSelect($("gen-style"), options.styles);
  fillSelect($("gen-key"), options.keys);
  fillSelect($("gen-scale"), options.scales);
  $("gen-scale").value = "minor";
  fillSelect($("filter-type"), options.types);
  fillSelect($("kit-choice"), options.kits);
  const syncType = () => {
    const drums = $("gen-type").value === "drums";
    for (const el of document.querySelectorAll(".drums-only")) el.hidden = !drums;
    for (const el of document.querySelectorAll(".line-only")) el.hidden = drums;
  };
  $("gen-type").addEventListener("change", syncType);
  syncType();
  $("generate-form").addEventListener("submit", generate);
  $("evolve-form").addEventListener("submit", evolve);
  $("filter-type").addEventListener("change", () => load().catch((e) => showError(e.message)));
  $("filter-generation").addEventListener("change", () => load().catch((e) => showError(e.message)));
  $("synth-choice").addEventListener("change", () => {
    localStorage.setItem("audiomancer.synth", $("synth-choice").value);
    player.stop();
  });
  $("lineage-close").addEventListener("click", () => { $("lineage-view").hidden = true; });
  $("patterns-view").addEventListener("keydown", onKey);
  await load();
}

// The synth chooser lists the library's pitched synths (called by the synths view).
export function offerSynths(synths) {
  const select = $("synth-choice");
  const chosen = select.value || localStorage.getItem("audiomancer.synth") || "";
  select.replaceChildren(h("option", { value: "" }, "each type's default"));
  for (const synth of synths) {
    if (synth.category === "drum" || synth.problem) continue;
    select.append(h("option", { value: synth.id }, `${synth.id} (${synth.category})`));
  }
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : "";
}
