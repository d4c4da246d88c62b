// One assistant message while its answer streams in: a status line, the answer text with its citation markers
// as buttons, and the list of sources. `msg` is the message's state; msg.el its <li>.

import { h, icon } from "./dom.js";
import { metaParts } from "./format.js";
import { splitMarkers } from "./markers.js";

export function createAssistant() {
  const status = h("p", { class: "status" },
    h("span", { class: "dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
    h("span", { class: "status-text", text: "正在检索相关报道… Searching the news…" }));
  const text = h("div", { class: "answer-text", "aria-live": "polite", "aria-busy": "true" });
  const bubble = h("div", { class: "bubble" },
    h("span", { class: "visually-hidden", text: "回答：" }), status, text);
  const li = h("li", { class: "msg assistant streaming" },
    h("div", { class: "avatar", "aria-hidden": "true" }, icon("bot")), bubble);
  return {
    el: li,
    bubble,
    statusEl: status,
    textEl: text,
    sourcesEl: null,
    text: "",
    citations: new Map(), // n -> citation
    passages: [],
    nearest: [],
    data: null, // the `done` answer
  };
}

export function citeButton(msg, n) {
  const b = h("button", { type: "button", class: "cite", dataset: { n: String(n) } }, String(n));
  decorateCite(b, msg.citations.get(n), n);
  return b;
}

function decorateCite(button, citation, n) {
  if (citation) {
    const meta = metaParts(citation).join(" · ");
    button.setAttribute("aria-label", `来源 ${n}：${citation.title || ""}`);
    button.title = `[${n}] ${citation.title || ""}${meta ? ` — ${meta}` : ""}`;
    button.classList.toggle("unsupported", citation.supported === false);
    if (citation.supported === false) button.title += "（未能核实 · unverified）";
  } else {
    button.setAttribute("aria-label", `来源 ${n}`);
  }
}

export function renderAnswerText(msg) {
  const frag = document.createDocumentFragment();
  for (const part of splitMarkers(msg.text)) {
    frag.append(typeof part === "number" ? citeButton(msg, part) : document.createTextNode(part));
  }
  msg.textEl.replaceChildren(frag);
}

function setStatus(msg, text) {
  const t = msg.statusEl && msg.statusEl.querySelector(".status-text");
  if (t) t.textContent = text;
}

export function removeStatus(msg) {
  if (msg.statusEl) {
    msg.statusEl.remove();
    msg.statusEl = null;
  }
}

export function renderSources(msg) {
  const cites = [...msg.citations.values()].sort((a, b) => a.n - b.n);
  if (!cites.length) {
    if (msg.sourcesEl) msg.sourcesEl.remove();
    msg.sourcesEl = null;
    return;
  }
  const list = h("ol", { class: "source-list" });
  for (const c of cites) {
    const meta = metaParts(c);
    list.append(h("li", {},
      h("button", { type: "button", class: "source-item", dataset: { n: String(c.n) } },
        h("span", { class: "src-n", text: String(c.n) }),
        h("span", { class: "src-title", text: c.title || c.doc_id || "" }),
        meta.length ? h("span", { class: "src-meta", text: meta.join(" · ") }) : null)));
  }
  const section = h("section", { class: "sources", "aria-label": "来源 · Sources" },
    h("h3", { class: "section-label", text: "来源 · Sources" }), list);
  if (msg.sourcesEl) msg.sourcesEl.replaceWith(section);
  else msg.bubble.append(section);
  msg.sourcesEl = section;
}

// The stream's events before `done` (see rag/api/streaming.py).

export function onRetrieval(msg, payload) {
  const passages = (payload && Array.isArray(payload.passages)) ? payload.passages : [];
  msg.passages = passages;
  setStatus(msg, passages.length
    ? `找到 ${passages.length} 段相关内容，正在组织回答… Found ${passages.length} passages, writing…`
    : "没有找到相关内容… No matching passages…");
}

export function onDelta(msg, payload) {
  if (!payload || typeof payload.text !== "string") return;
  removeStatus(msg);
  msg.text += payload.text;
  renderAnswerText(msg);
}

export function onCitation(msg, c) {
  if (!c || typeof c.n !== "number") return;
  msg.citations.set(c.n, c);
  for (const b of msg.textEl.querySelectorAll(`.cite[data-n="${c.n}"]`)) decorateCite(b, c, c.n);
  renderSources(msg);
}

// The LLM failed after some text was shown: drop it; the extractive answer streams next.
export function onReset(msg, payload) {
  msg.text = "";
  msg.citations.clear();
  renderAnswerText(msg);
  renderSources(msg);
  setStatus(msg, (payload && payload.reason) ? `${payload.reason}` : "生成模型不可用，改用摘录式回答… LLM unavailable, quoting instead…");
}
