// The synths view: the library's synths with Play (audition), Rate, Mutate; Breed two; Generate.

import { api, busy, clearError, runJob, showError, showStatus } from "./api.js";
import { fillSelect, h, isTextField, ratingControl, showRating } from "./dom.js";
import * as player from "./player.js";

const $ = (id) => document.getElementById(id);
let picked = [];
let fresh = new Set();
let onList = () => {};

function controlsTable(controls) {
  if (!controls.length) return h("p", { class: "hint" }, "no controls");
  return h(
    "table",
    { class: "controls" },
    h("caption", {}, "Controls"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "name"), h("th", { scope: "col" }, "default"), h("th", { scope: "col" }, "rate"))),
    h("tbody", {}, controls.map((c) => h("tr", {},
      h("td", {}, c.name),
      h("td", {}, c.default === null ? "" : Array.isArray(c.default) ? c.default.join(", ") : String(c.default)),
      h("td", {}, c.rate)))),
  );
}

async function rate(element, synth, score) {
  clearError();
  try {
    const notes = element.querySelector("textarea").value;
    const updated = await api(`/api/synths/${encodeURIComponent(synth.id)}/rating`, {
      method: "POST", body: { rating: score, notes },
    });
    synth.user_rating = updated.user_rating;
    showRating(element.querySelector(".rating"), updated.user_rating);
    showStatus(`rated ${synth.id}: ${score} of 5`);
  } catch (error) {
    showError(`could not rate ${synth.id}: ${error.message}`);
  }
}

async function mutate(synth, button) {
  await busy(button, async () => {
    const amount = $("mutate-amount").value || "0.3";
    const result = await runJob(`/api/synths/${encodeURIComponent(synth.id)}/mutate`,
      { amount }, `mutating ${synth.id} (compiling and rendering each try)`);
    fresh = new Set(result.created);
    await load();
    showStatus(`Mutate made ${result.created.join(", ")} from ${synth.id}`);
  });
}

function syncBreed() {
  const button = $("breed");
  button.disabled = picked.length !== 2;
  $("breed-hint").textContent = picked.length === 2
    ? `Breed ${picked[0]} (oscillators, envelope) with ${picked[1]} (filter).`
    : `Pick two synths, then Breed (${picked.length} picked).`;
}

function pick(synth, checkbox) {
  picked = picked.filter((id) => id !== synth.id);
  if (checkbox.checked) picked.push(synth.id);
  while (picked.length > 2) {
    const dropped = picked.shift();
    const other = document.querySelector(`.synth[data-id="${dropped}"] input.pick`);
    if (other) other.checked = false;
  }
  syncBreed();
}

function makeCard(synth) {
  const playButton = h("button", { type: "button", class: "play", "aria-pressed": "false" }, "Play");
  playButton.addEventListener("click", () =>
    player.toggle(`synth:${synth.id}`, `/api/synths/${encodeURIComponent(synth.id)}/audio`, playButton, synth.id));
  const mutateButton = h("button", { type: "button" }, "Mutate");
  mutateButton.addEventListener("click", () => mutate(synth, mutateButton));
  const checkbox = h("input", { type: "checkbox", class: "pick", checked: picked.includes(synth.id) });
  checkbox.addEventListener("change", () => pick(synth, checkbox));
  const parents = synth.parent_ids.length ? synth.parent_ids.join(" × ") : "none";
  const element = h(
    "article",
    { class: `card synth${fresh.has(synth.id) ? " new" : ""}`, tabindex: "0", "data-id": synth.id,
      "aria-label": `${synth.id}, ${synth.category ?? "synth"}` },
    h("h3", {}, synth.id),
    synth.description ? h("p", { class: "hint" }, synth.description) : null,
    h("dl", { class: "meta" },
      h("dt", {}, "category"), h("dd", {}, synth.category ?? "?"),
      h("dt", {}, "made by"), h("dd", {}, `${synth.generation_method}, generation ${synth.generation}`),
      h("dt", {}, "parents"), h("dd", {}, parents)),
    synth.problem ? h("p", { class: "error-inline" }, synth.problem) : null,
    h("div", { class: "actions" }, playButton,
      ratingControl(synth.user_rating, (score) => rate(element, synth, score))),
    h("div", { class: "exports" }, mutateButton,
      h("label", { class: "pick-label" }, checkbox, "Pick for Breed")),
    h("label", { class: "notes" }, "Notes", h("textarea", { rows: "1",
      onchange: () => synth.user_rating !== null
        ? rate(element, synth, synth.user_rating)
        : showStatus("notes are saved with the rating: rate this synth to keep them") },
    synth.user_notes ?? "")),
    h("details", {}, h("summary", {}, "Controls and mutation log"),
      controlsTable(synth.controls),
      synth.mutation_log.length
        ? h("ol", { class: "log", "aria-label": "Mutation log" }, synth.mutation_log.map((line) => h("li", {}, line)))
        : h("p", { class: "hint" }, "no mutations: an original")),
  );
  element.synth = synth;
  element.addEventListener("keydown", (event) => {
    if (isTextField(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === " " && event.target === element) {
      event.preventDefault();
      playButton.click();
    } else if (/^[1-5]$/.test(event.key)) {
      event.preventDefault();
      rate(element, synth, Number(event.key));
    } else if (event.key === "ArrowRight" || event.key === "ArrowDown") {
      event.preventDefault();
      element.nextElementSibling?.focus();
    } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
      event.preventDefault();
      element.previousElementSibling?.focus();
    }
  });
  return element;
}

export async function load() {
  const data = await api("/api/synths");
  const known = new Set(data.synths.map((s) => s.id));
  picked = picked.filter((id) => known.has(id));
  $("synth-grid").replaceChildren(...data.synths.map(makeCard));
  syncBreed();
  onList(data.synths);
  return data;
}

async function breed() {
  const [first, second] = picked;
  await busy($("breed"), async () => {
    const result = await runJob("/api/synths/breed", { first, second },
      `breeding ${first} with ${second} (compiling and rendering)`);
    fresh = new Set(result.created);
    picked = [];
    await load();
    showStatus(`Breed made ${result.created.join(", ")}`);
  });
  syncBreed();
}

async function generate(event) {
  event.preventDefault();
  const values = Object.fromEntries(new FormData(event.currentTarget));
  if (values.seed === "") values.seed = null;
  await busy($("synth-generate"), async () => {
    const result = await runJob("/api/synths/generate", values,
      `generating "${values.description}" (compiling and rendering)`);
    fresh = new Set(result.created);
    await load();
    showStatus(`Generate made ${result.created.join(", ")}`);
  });
}

export async function init(listener) {
  onList = listener;
  $("breed").addEventListener("click", breed);
  $("synth-generate-form").addEventListener("submit", generate);
  const data = await load();
  fillSelect($("synth-category"), data.categories);
}
