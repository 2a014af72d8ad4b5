// One player for the whole page: playing a card stops the one before.

import { fetchBlob, showError, showStatus } from "./api.js";

const audio = () => document.getElementById("player");
let current = null; // { key, button }
let token = 0;

function mark(button, playing) {
  if (!button) return;
  button.setAttribute("aria-pressed", String(playing));
  button.classList.toggle("playing", playing);
}

export function stop() {
  token += 1;
  const player = audio();
  player.pause();
  if (current) mark(current.button, false);
  current = null;
}

export function isPlaying(key) {
  return current !== null && current.key === key;
}

// Play (or, if it is the one playing, stop) the sound at `url`, shown by `button`.
export async function toggle(key, url, button, label) {
  if (isPlaying(key)) {
    stop();
    showStatus(`stopped ${label}`);
    return;
  }
  stop();
  const mine = token;
  current = { key, button };
  mark(button, true);
  button.setAttribute("aria-busy", "true");
  showStatus(`rendering ${label}…`);
  try {
    const blob = await fetchBlob(url);
    if (mine !== token) return; // another card was played meanwhile
    const player = audio();
    if (player.src.startsWith("blob:")) URL.revokeObjectURL(player.src);
    player.src = URL.createObjectURL(blob);
    player.dataset.playing = key;
    await player.play();
    showStatus(`playing ${label}`);
  } catch (error) {
    if (mine === token) {
      stop();
      showError(`could not play ${label}: ${error.message}`);
      showStatus("");
    }
  } finally {
    button.removeAttribute("aria-busy");
  }
}

export function init() {
  audio().addEventListener("ended", () => {
    if (current) mark(current.button, false);
    current = null;
  });
}
