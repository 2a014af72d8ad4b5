// Small DOM helpers: elements are built with textContent, never from HTML strings.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function fillSelect(select, values, labels = {}) {
  for (const value of values) {
    select.append(h("option", { value }, labels[value] ?? value));
  }
}

// A row of Rate 1..Rate 5 buttons showing the current rating (aria-pressed on the chosen one).
export function ratingControl(current, onRate) {
  const group = h("div", { class: "rating", role: "group", "aria-label": "Rating" });
  for (let score = 1; score <= 5; score += 1) {
    group.append(
      h("button", {
        type: "button",
        class: "star",
        "data-score": score,
        "aria-label": `Rate ${score}`,
        title: `Rate ${score}`,
        "aria-pressed": String(current === score),
        onclick: () => onRate(score),
      }, "★"),
    );
  }
  showRating(group, current);
  return group;
}

export function showRating(group, current) {
  for (const button of group.querySelectorAll("button.star")) {
    const score = Number(button.dataset.score);
    button.setAttribute("aria-pressed", String(current === score));
    button.classList.toggle("lit", current !== null && score <= current);
  }
  group.dataset.rating = current ?? "";
}

export function isTextField(element) {
  return element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement ||
    element instanceof HTMLSelectElement;
}
