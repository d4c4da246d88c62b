// Small DOM helpers. Text from the server only ever enters the page as Text nodes (h's `text` prop and string
// children become textContent / createTextNode), never as HTML.

const SVG_NS = "http://www.w3.org/2000/svg";

export const $ = (id) => document.getElementById(id);

// h("p", {class: "x", text: "..."}, child, ...): an element; null / undefined / false props and children are skipped.
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const ICONS = {
  user: ["M10 10.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z", "M3.5 17c.8-3 3.4-4.5 6.5-4.5s5.7 1.5 6.5 4.5"],
  bot: ["M3.5 4.5h10v11a1.5 1.5 0 0 1-1.5 1.5H5a1.5 1.5 0 0 1-1.5-1.5z", "M13.5 8h2.5v7.5a1.5 1.5 0 0 1-3 0",
    "M6 7.5h5M6 10.5h5M6 13.5h3"],
  warn: ["M10 3.2l7.5 13.3h-15z", "M10 8.2v3.8", "M10 14.3h.01"],
  info: ["M10 17.5a7.5 7.5 0 1 0 0-15 7.5 7.5 0 0 0 0 15z", "M10 9v5", "M10 6.3h.01"],
  error: ["M10 17.5a7.5 7.5 0 1 0 0-15 7.5 7.5 0 0 0 0 15z", "M7.3 7.3l5.4 5.4M12.7 7.3l-5.4 5.4"],
  doc: ["M5 2.5h7l3.5 3.5v11.5H5z", "M12 2.5V6h3.5", "M7.5 10h5M7.5 13h5"],
  retry: ["M15.5 10a5.5 5.5 0 1 1-1.6-3.9", "M15.5 3.5v3.2h-3.2"],
};

// An inline 20x20 stroke icon, hidden from assistive technology.
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon", `icon-${name}`);
  for (const d of ICONS[name] || []) {
    const p = document.createElementNS(SVG_NS, "path");
    p.setAttribute("d", d);
    svg.append(p);
  }
  return svg;
}
