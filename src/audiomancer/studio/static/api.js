// Talking to the studio's JSON API, background jobs, and the status / error lines of the page.

const statusLine = () => document.getElementById("status");

export function showStatus(text) {
  statusLine().textContent = text;
}

export function showError(text) {
  document.getElementById("error-text").textContent = text;
  document.getElementById("error").hidden = false;
}

export function clearError() {
  document.getElementById("error").hidden = true;
}

async function errorOf(response) {
  try {
    const data = await response.json();
    if (data && data.error) return data.error;
  } catch {
    // not JSON: fall through
  }
  return `${response.status} ${response.statusText}`;
}

export async function api(path, { method = "GET", body } = {}) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(await errorOf(response));
  return response.json();
}

// Fetch a binary resource (audio); errors come back in words.
export async function fetchBlob(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(await errorOf(response));
  return response.blob();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Start a background job and poll it until it is done; returns its result, throws its error.
export async function runJob(path, body, label) {
  let job = await api(path, { method: "POST", body });
  const started = Date.now();
  while (job.state === "queued" || job.state === "running") {
    const seconds = Math.round((Date.now() - started) / 1000);
    showStatus(`${label}… ${job.state === "queued" ? "waiting for the job before it" : "working"} (${seconds} s)`);
    await sleep(400);
    job = await api(`/api/jobs/${encodeURIComponent(job.id)}`);
  }
  if (job.state === "failed") throw new Error(job.error);
  return job.result;
}

// Run an action with its button marked busy; errors go to the error line.
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  clearError();
  try {
    return await action();
  } catch (error) {
    showError(error.message);
    showStatus("");
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
