// The studio page: two views (patterns, synths) over the same stores as the command line.

import { api, clearError, showError } from "./api.js";
import * as patterns from "./patterns.js";
import * as player from "./player.js";
import * as synths from "./synths.js";

function show(view) {
  for (const name of ["patterns", "synths"]) {
    document.getElementById(`${name}-view`).hidden = name !== view;
    document.getElementById(`show-${name}`).setAttribute("aria-pressed", String(name === view));
  }
  player.stop();
}

async function start() {
  player.init();
  document.getElementById("error-close").addEventListener("click", clearError);
  document.getElementById("show-patterns").addEventListener("click", () => show("patterns"));
  document.getElementById("show-synths").addEventListener("click", () => show("synths"));
  try {
    const options = await api("/api/options");
    await patterns.init(options);
    await synths.init(patterns.offerSynths);
    document.body.dataset.ready = "true";
  } catch (error) {
    showError(`the studio could not start: ${error.message}`);
  }
}

start();
