// News QA chat page. Plain ES module, no dependencies.
// Security rule for this file: text that comes from the server (answers, titles, article text, error
// messages) is only ever put into the page with textContent / createTextNode / Text nodes — never
// innerHTML — so an article containing <script> or <img onerror> stays inert text.

import { readEvents } from "./sse.js";

const EXAMPLES = [
  "哈萨克斯坦骚乱中有多少人被捕？",
  "托卡耶夫对卢甘斯克和顿涅茨克持什么立场？",
  "Who is the president of Kazakhstan?",
  "哈薩克斯坦與俄羅斯的邊界有多長？",
  "蒙古国的首都是哪里？",
];

const SVG_NS = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);
const els = {
  app: $("app"),
  layout: $("layout"),
  scroller: $("scroller"),
  welcome: $("welcome"),
  examples: $("examples"),
  messages: $("messages"),
  composer: $("composer"),
  input: $("question"),
  send: $("send"),
  newChat: $("new-chat"),
  panel: $("source-panel"),
  scrim: $("scrim"),
  panelKicker: $("source-kicker"),
  panelTitle: $("source-title"),
  panelMeta: $("source-meta"),
  panelLink: $("source-link"),
  panelBody: $("source-body"),
  panelClose: $("close-source"),
  jump: $("jump-highlight"),
  filterSource: $("filter-source"),
  filterFrom: $("filter-from"),
  filterTo: $("filter-to"),
};

const state = {
  history: [], // [{role, content}] sent with every request so follow-ups work
  streaming: false,
  controller: null,
  generation: 0, // bumped by "new chat" so late responses of a cleared chat are dropped
  panelToken: 0, // bumped on every panel load so a slow earlier article cannot overwrite a newer one
  trigger: null, // element that opened the panel, to restore focus on close
  docs: new Map(), // doc_id -> Promise<document JSON>
};

const messageState = new WeakMap(); // <li.msg> -> assistant message state

// ---------------------------------------------------------------------------------------------
// Small DOM helpers

function h(tag, props = {}, ...children) {
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

function icon(name) {
  const paths = {
    user: ["M10 10.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z", "M3.5 17c.8-3 3.4-4.5 6.5-4.5s5.7 1.5 6.5 4.5"],
    bot: ["M3.5 4.5h10v11a1.5 1.5 0 0 1-1.5 1.5H5a1.5 1.5 0 0 1-1.5-1.5z", "M13.5 8h2.5v7.5a1.5 1.5 0 0 1-3 0",
      "M6 7.5h5M6 10.5h5M6 13.5h3"],
    warn: ["M10 3.2l7.5 13.3h-15z", "M10 8.2v3.8", "M10 14.3h.01"],
    info: ["M10 17.5a7.5 7.5 0 1 0 0-15 7.5 7.5 0 0 0 0 15z", "M10 9v5", "M10 6.3h.01"],
    error: ["M10 17.5a7.5 7.5 0 1 0 0-15 7.5 7.5 0 0 0 0 15z", "M7.3 7.3l5.4 5.4M12.7 7.3l-5.4 5.4"],
    doc: ["M5 2.5h7l3.5 3.5v11.5H5z", "M12 2.5V6h3.5", "M7.5 10h5M7.5 13h5"],
    retry: ["M15.5 10a5.5 5.5 0 1 1-1.6-3.9", "M15.5 3.5v3.2h-3.2"],
  };
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon", `icon-${name}`);
  for (const d of paths[name] || []) {
    const p = document.createElementNS(SVG_NS, "path");
    p.setAttribute("d", d);
    svg.append(p);
  }
  return svg;
}

function formatDate(iso) {
  if (typeof iso !== "string") return "";
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(iso);
  return m ? m[1] : "";
}

function metaParts(item) {
  return [item && item.source, item && formatDate(item.published)].filter(Boolean);
}

function isSafeHttpUrl(url) {
  if (typeof url !== "string" || !url) return false;
  try {
    const u = new URL(url, location.href);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

function nearBottom() {
  const s = els.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
}

function scrollToBottom(smooth = false) {
  els.scroller.scrollTo({ top: els.scroller.scrollHeight, behavior: smooth ? "smooth" : "auto" });
}

// ---------------------------------------------------------------------------------------------
// Composer

function updateSendButton() {
  const empty = els.input.value.trim() === "";
  els.send.disabled = state.streaming || empty;
  els.send.setAttribute("aria-busy", state.streaming ? "true" : "false");
  for (const chip of els.examples.querySelectorAll("button")) chip.disabled = state.streaming;
}

function autosize() {
  const ta = els.input;
  ta.style.height = "auto";
  ta.style.height = `${Math.min(ta.scrollHeight, 200)}px`;
}

function setStreaming(on) {
  state.streaming = on;
  els.app.classList.toggle("is-streaming", on);
  updateSendButton();
}

function submitFromInput() {
  const text = els.input.value.trim();
  if (!text || state.streaming) return;
  els.input.value = "";
  autosize();
  updateSendButton();
  ask(text);
}

// ---------------------------------------------------------------------------------------------
// Messages

function hideWelcome() {
  els.welcome.hidden = true;
}

function appendUser(text) {
  const li = h("li", { class: "msg user" },
    h("div", { class: "bubble" }, h("p", { class: "user-text", text })),
    h("div", { class: "avatar", "aria-hidden": "true" }, icon("user")));
  li.querySelector(".bubble").prepend(h("span", { class: "visually-hidden", text: "你：" }));
  els.messages.append(li);
  return li;
}

function appendAssistant() {
  const status = h("p", { class: "status" },
    h("span", { class: "dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
    h("span", { class: "status-text", text: "正在检索相关报道… Searching the news…" }));
  const text = h("div", { class: "answer-text", "aria-live": "polite", "aria-busy": "true" });
  const bubble = h("div", { class: "bubble" },
    h("span", { class: "visually-hidden", text: "回答：" }), status, text);
  const li = h("li", { class: "msg assistant streaming" },
    h("div", { class: "avatar", "aria-hidden": "true" }, icon("bot")), bubble);
  const msg = {
    el: li,
    bubble,
    statusEl: status,
    textEl: text,
    sourcesEl: null,
    text: "",
    citations: new Map(),
    passages: [],
    data: null,
  };
  messageState.set(li, msg);
  els.messages.append(li);
  return msg;
}

// Citation markers: "[1]", also tolerate "[1, 2]" / "[1，2]" from a model.
const MARKER = /\[(\d{1,3}(?:\s*[,，]\s*\d{1,3})*)\]/g;

function citeButton(msg, n) {
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

// The answer sentence each marker follows, to emphasise it inside the cited passage.
function claimsOf(text) {
  const claims = new Map();
  let prev = 0;
  let last = "";
  MARKER.lastIndex = 0;
  for (let m; (m = MARKER.exec(text));) {
    const seg = text.slice(prev, m.index).trim();
    if (seg) last = seg;
    for (const num of m[1].split(/\s*[,，]\s*/)) if (!claims.has(Number(num)) && last) claims.set(Number(num), last);
    prev = MARKER.lastIndex;
  }
  return claims;
}

function renderAnswerText(msg) {
  const text = msg.text;
  const frag = document.createDocumentFragment();
  let last = 0;
  MARKER.lastIndex = 0;
  for (let m; (m = MARKER.exec(text));) {
    if (m.index > last) frag.append(document.createTextNode(text.slice(last, m.index)));
    for (const num of m[1].split(/\s*[,，]\s*/)) frag.append(citeButton(msg, Number(num)));
    last = MARKER.lastIndex;
  }
  if (last < text.length) frag.append(document.createTextNode(text.slice(last)));
  msg.textEl.replaceChildren(frag);
}

function setStatus(msg, text) {
  const t = msg.statusEl && msg.statusEl.querySelector(".status-text");
  if (t) t.textContent = text;
}

function removeStatus(msg) {
  if (msg.statusEl) {
    msg.statusEl.remove();
    msg.statusEl = null;
  }
}

function renderSources(msg) {
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

function onRetrieval(msg, payload) {
  const passages = (payload && Array.isArray(payload.passages)) ? payload.passages : [];
  msg.passages = passages;
  setStatus(msg, passages.length
    ? `找到 ${passages.length} 段相关内容，正在组织回答… Found ${passages.length} passages, writing…`
    : "没有找到相关内容… No matching passages…");
}

function onDelta(msg, payload) {
  if (!payload || typeof payload.text !== "string") return;
  const stick = nearBottom();
  removeStatus(msg);
  msg.text += payload.text;
  renderAnswerText(msg);
  if (stick) scrollToBottom();
}

function onCitation(msg, c) {
  if (!c || typeof c.n !== "number") return;
  msg.citations.set(c.n, c);
  for (const b of msg.textEl.querySelectorAll(`.cite[data-n="${c.n}"]`)) decorateCite(b, c, c.n);
  renderSources(msg);
}

// The LLM failed after some text was shown: drop it; the extractive answer streams next.
function onReset(msg, payload) {
  msg.text = "";
  msg.citations.clear();
  renderAnswerText(msg);
  renderSources(msg);
  setStatus(msg, (payload && payload.reason) ? `${payload.reason}` : "生成模型不可用，改用摘录式回答… LLM unavailable, quoting instead…");
}

function finish(msg, data) {
  if (!data || typeof data !== "object") throw new ChatError("服务器返回了无法识别的回答 · Malformed answer");
  const stick = nearBottom();
  msg.data = data;
  window.__lastAnswer = data;
  removeStatus(msg);
  msg.el.classList.remove("streaming");
  msg.textEl.setAttribute("aria-busy", "false");

  if (typeof data.answer === "string") msg.text = data.answer;
  if (Array.isArray(data.citations)) {
    msg.citations = new Map(data.citations.filter((c) => c && typeof c.n === "number").map((c) => [c.n, c]));
  }
  if (Array.isArray(data.passages)) msg.passages = data.passages;
  renderAnswerText(msg);

  if (data.answerable === false) {
    msg.el.classList.add("not-answerable");
    msg.bubble.insertBefore(
      h("p", { class: "na-head" }, icon("info"), h("span", { text: "未在已收录的新闻中找到答案 · Not found in the indexed news" })),
      msg.textEl);
  }
  if (data.filters && typeof data.filters === "object") {
    const f = data.filters;
    const parts = [f.source, [f.date_from, f.date_to].some(Boolean) ? `${f.date_from || "…"} – ${f.date_to || "…"}` : null]
      .filter(Boolean);
    msg.bubble.append(h("p", { class: "filters-used", role: "note" }, icon("info"),
      h("span", { text: `已筛选 · Filtered: ${parts.join(", ")}` })));
  }
  if (data.degraded) {
    msg.bubble.append(h("p", { class: "degraded", role: "note" }, icon("warn"),
      h("span", { text: `${typeof data.degraded === "string" ? data.degraded : "生成模型不可用，已改用摘录式回答。"}` })));
  }
  if (Array.isArray(data.disagreements) && data.disagreements.length > 1) {
    // outlets that report different figures: each with its outlet, date and citation
    const list = h("ul", { class: "disagreement-list" });
    for (const d of data.disagreements) {
      if (!d || typeof d.n !== "number") continue;
      list.append(h("li", {},
        h("span", { class: "src-title", text: d.source || "未注明来源" }),
        d.published ? h("span", { class: "src-meta", text: ` · ${formatDate(d.published)}` }) : null,
        citeButton(msg, d.n)));
    }
    msg.bubble.append(h("section", { class: "disagreements", role: "note", "aria-label": "各来源说法不一 · Sources differ" },
      h("h3", { class: "section-label" }, icon("warn"), h("span", { text: "各来源说法不一 · Sources differ" })), list));
  }
  renderSources(msg);
  if (data.answerable === false && Array.isArray(data.nearest) && data.nearest.length) {
    const list = h("ul", { class: "nearest-list" });
    for (const a of data.nearest) {
      if (!a || !a.doc_id) continue;
      const meta = metaParts(a);
      list.append(h("li", {},
        h("button", { type: "button", class: "nearest-item", dataset: { doc: a.doc_id } },
          icon("doc"),
          h("span", { class: "nearest-text" },
            h("span", { class: "src-title", text: a.title || a.doc_id }),
            meta.length ? h("span", { class: "src-meta", text: meta.join(" · ") }) : null))));
    }
    msg.nearest = data.nearest;
    msg.bubble.append(h("section", { class: "nearest", "aria-label": "最接近的文章 · Closest articles" },
      h("h3", { class: "section-label", text: "最接近的文章 · Closest articles" }), list));
  }
  if (stick) scrollToBottom();
}

class ChatError extends Error {
  constructor(message, detail) {
    super(message);
    this.name = "ChatError";
    this.detail = detail || "";
  }
}

async function httpError(res) {
  let message = "";
  let code = "";
  try {
    const body = await res.json();
    if (body && body.error) {
      message = typeof body.error === "string" ? body.error : (body.error.message || "");
      code = (body.error && body.error.code) || "";
    } else if (body && typeof body.detail === "string") {
      message = body.detail;
    } else if (body && Array.isArray(body.detail)) {
      message = body.detail.map((d) => d && d.msg).filter(Boolean).join("; ");
    }
  } catch {
    /* not JSON */
  }
  const detail = `HTTP ${res.status}${code ? ` · ${code}` : ""}`;
  return new ChatError(message || res.statusText || "请求失败 · Request failed", detail);
}

function showError(msg, err, question) {
  removeStatus(msg);
  msg.el.classList.remove("streaming");
  msg.el.classList.add("error");
  msg.textEl.setAttribute("aria-busy", "false");
  if (!msg.text) msg.textEl.remove();
  const network = err instanceof TypeError;
  const message = network ? "无法连接到服务器 · Could not reach the server" : (err.message || String(err));
  const detail = network ? err.message : (err.detail || "");
  const retry = h("button", { type: "button", class: "btn btn-small retry" }, icon("retry"), h("span", { text: "重试 · Retry" }));
  retry.addEventListener("click", () => {
    if (state.streaming) return;
    const userLi = msg.el.previousElementSibling;
    msg.el.remove();
    if (userLi && userLi.classList.contains("user")) userLi.remove();
    ask(question);
  });
  msg.bubble.append(h("div", { class: "error-box", role: "alert" },
    icon("error"),
    h("div", { class: "error-text" },
      h("p", { class: "error-title", text: "出错了 · Something went wrong" }),
      h("p", { class: "error-message", text: message }),
      detail ? h("p", { class: "error-detail", text: detail }) : null),
    retry));
}

async function ask(question) {
  question = (question || "").trim();
  if (!question || state.streaming) return;
  hideWelcome();
  appendUser(question);
  state.history.push({ role: "user", content: question });
  const msg = appendAssistant();
  scrollToBottom();
  setStreaming(true);

  const generation = state.generation;
  const controller = new AbortController();
  state.controller = controller;
  try {
    const res = await fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(Object.assign({ messages: state.history.slice(), stream: true },
        currentFilters() ? { filters: currentFilters() } : {})),
      signal: controller.signal,
    });
    if (!res.ok) throw await httpError(res);
    const type = res.headers.get("content-type") || "";
    if (!type.includes("text/event-stream")) {
      finish(msg, await res.json());
    } else {
      let done = false;
      for await (const ev of readEvents(res.body, controller.signal)) {
        if (generation !== state.generation) return;
        let payload = null;
        try {
          payload = JSON.parse(ev.data);
        } catch {
          payload = null;
        }
        if (ev.event === "retrieval") onRetrieval(msg, payload);
        else if (ev.event === "delta") onDelta(msg, payload);
        else if (ev.event === "citation") onCitation(msg, payload);
        else if (ev.event === "reset") onReset(msg, payload);
        else if (ev.event === "error") {
          throw new ChatError((payload && (payload.message || (payload.error && payload.error.message))) || ev.data || "服务器出错 · Server error");
        } else if (ev.event === "done") {
          finish(msg, payload);
          done = true;
          break;
        }
      }
      if (!done) throw new ChatError("回答在完成前中断 · The answer stream ended early");
    }
    if (generation !== state.generation) return;
    state.history.push({ role: "assistant", content: msg.data && typeof msg.data.answer === "string" ? msg.data.answer : msg.text });
  } catch (err) {
    if (generation !== state.generation || (err && err.name === "AbortError")) return;
    // Drop the failed question from the history so the next request stays well-formed.
    const lastIdx = state.history.length - 1;
    if (lastIdx >= 0 && state.history[lastIdx].role === "user") state.history.pop();
    showError(msg, err, question);
  } finally {
    if (generation === state.generation) {
      state.controller = null;
      setStreaming(false);
    }
  }
}

function newChat() {
  state.generation += 1;
  if (state.controller) state.controller.abort();
  state.controller = null;
  state.history = [];
  window.__lastAnswer = undefined;
  els.messages.replaceChildren();
  els.welcome.hidden = false;
  closePanel(false);
  setStreaming(false);
  els.input.value = "";
  autosize();
  updateSendButton();
  els.scroller.scrollTop = 0;
  els.input.focus();
}

// ---------------------------------------------------------------------------------------------
// Source panel

const phoneQuery = window.matchMedia("(max-width: 760px)");

function openPanel(trigger) {
  if (trigger) state.trigger = trigger;
  const wasOpen = els.app.classList.contains("panel-open");
  els.panel.hidden = false;
  els.scrim.hidden = !phoneQuery.matches;
  if (!wasOpen) {
    void els.panel.offsetWidth; // start the slide-in transition from the closed position
    els.app.classList.add("panel-open");
  }
  els.panelTitle.focus({ preventScroll: true });
}

function closePanel(restoreFocus = true) {
  state.panelToken += 1;
  if (!els.app.classList.contains("panel-open") && els.panel.hidden) return;
  els.app.classList.remove("panel-open");
  els.scrim.hidden = true;
  for (const b of document.querySelectorAll(".cite.active, .source-item.active, .nearest-item.active")) b.classList.remove("active");
  const token = state.panelToken;
  const hide = () => { if (token === state.panelToken && !els.app.classList.contains("panel-open")) els.panel.hidden = true; };
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  if (phoneQuery.matches && !reduce) setTimeout(hide, 260);
  else hide();
  if (restoreFocus && state.trigger && document.contains(state.trigger)) state.trigger.focus({ preventScroll: true });
  state.trigger = null;
}

function setPanelHeader({ kicker, title, source, published, author, url }) {
  els.panelKicker.textContent = kicker || "文章 · Article";
  els.panelTitle.textContent = title || "";
  const parts = [source, formatDate(published), author && author !== source ? author : null].filter(Boolean);
  els.panelMeta.replaceChildren();
  parts.forEach((p, i) => {
    if (i) els.panelMeta.append(h("span", { class: "sep", "aria-hidden": "true", text: "·" }));
    els.panelMeta.append(h("span", { text: p }));
  });
  els.panelMeta.hidden = parts.length === 0;
  if (isSafeHttpUrl(url)) {
    els.panelLink.href = url;
    els.panelLink.hidden = false;
  } else {
    els.panelLink.removeAttribute("href");
    els.panelLink.hidden = true;
  }
}

function fetchDocument(docId) {
  if (!state.docs.has(docId)) {
    const p = fetch(`/api/documents/${encodeURIComponent(docId)}`, { headers: { Accept: "application/json" } })
      .then(async (res) => {
        if (!res.ok) throw await httpError(res);
        return res.json();
      });
    p.catch(() => state.docs.delete(docId));
    state.docs.set(docId, p);
  }
  return state.docs.get(docId);
}

// Whether the article text holds the citation's quote at its offsets (Python code-point offsets).
function quoteAt(text, span) {
  if (typeof text !== "string") return false;
  return Array.from(text).slice(Number(span.start) || 0, Number(span.end) || 0).join("") === span.quote;
}

// Split the article around [start, end) (Python code-point offsets) into before / quote / after.
function splitArticle(text, span) {
  if (!span) return { before: text, mid: "", after: "", exact: true };
  const chars = Array.from(text);
  const s = Math.max(0, Math.min(chars.length, Number(span.start) || 0));
  const e = Math.max(s, Math.min(chars.length, Number(span.end) || 0));
  const mid = chars.slice(s, e).join("");
  if (!span.quote || mid === span.quote) {
    return { before: chars.slice(0, s).join(""), mid, after: chars.slice(e).join(""), exact: true };
  }
  // Offsets disagree with the quote: fall back to finding the quote itself, so the reader still sees it.
  const idx = text.indexOf(span.quote);
  if (idx !== -1) {
    return {
      before: text.slice(0, idx),
      mid: span.quote,
      after: text.slice(idx + span.quote.length),
      exact: false,
    };
  }
  return { before: chars.slice(0, s).join(""), mid, after: chars.slice(e).join(""), exact: false };
}

// Render the article as paragraphs (split on newlines); the quoted span becomes one <mark class="highlight">
// per paragraph it touches, and the answer sentence it supports (if found verbatim) is emphasised inside the
// mark. Only Text nodes carry article content.
function renderArticle(text, span) {
  const parts = splitArticle(text, span);
  const container = document.createDocumentFragment();
  let p = h("p");
  let mark = null; // the open <mark> of the current paragraph
  const marks = [];
  const push = (piece, kind) => {
    const lines = piece.split("\n");
    lines.forEach((line, i) => {
      if (i > 0) {
        container.append(p);
        p = h("p");
        mark = null;
      }
      if (!line) return;
      if (kind === "plain") {
        mark = null;
        p.append(document.createTextNode(line));
        return;
      }
      if (!mark) {
        mark = h("mark", { class: "highlight" });
        marks.push(mark);
        p.append(mark);
      }
      mark.append(kind === "claim" ? h("span", { class: "claim" }, line) : document.createTextNode(line));
    });
  };
  push(parts.before, "plain");
  const claim = span && span.claim ? span.claim.replace(MARKER, "").trim() : "";
  const at = claim.length >= 4 ? parts.mid.indexOf(claim) : -1;
  if (at !== -1) {
    push(parts.mid.slice(0, at), "quote");
    push(claim, "claim");
    push(parts.mid.slice(at + claim.length), "quote");
  } else {
    push(parts.mid, "quote");
  }
  push(parts.after, "plain");
  container.append(p);
  if (marks.length) {
    marks[0].id = "quote-start";
    marks[0].setAttribute("tabindex", "-1");
  }
  return { fragment: container, marks, exact: parts.exact };
}

function showPanelMessage(kind, text) {
  els.panelBody.replaceChildren(h("p", { class: `panel-${kind}` }, kind === "error" ? icon("error") : null, h("span", { text })));
}

async function loadArticle(docId, header, span) {
  const token = ++state.panelToken;
  setPanelHeader(header);
  els.jump.hidden = true;
  els.panelBody.setAttribute("aria-busy", "true");
  showPanelMessage("loading", "正在加载全文… Loading the article…");
  try {
    let doc = await fetchDocument(docId);
    if (span && span.quote && !quoteAt(doc.text, span)) {
      // The cached copy predates a replacement of the article: fetch it again.
      state.docs.delete(docId);
      doc = await fetchDocument(docId);
    }
    if (token !== state.panelToken) return;
    setPanelHeader({
      kicker: header.kicker,
      title: doc.title || header.title,
      source: doc.source ?? header.source,
      published: doc.published ?? header.published,
      author: doc.author,
      url: doc.url ?? header.url,
    });
    const { fragment, marks, exact } = renderArticle(typeof doc.text === "string" ? doc.text : "", span);
    els.panelBody.replaceChildren(fragment);
    els.panelBody.dataset.docId = docId;
    els.panelBody.dataset.offsetsExact = String(exact);
    els.panelBody.setAttribute("aria-busy", "false");
    els.panelBody.scrollTop = 0;
    if (marks.length) {
      els.jump.hidden = false;
      const target = marks[0];
      const scroll = () => { if (token === state.panelToken) target.scrollIntoView({ block: "center" }); };
      scroll();
      requestAnimationFrame(scroll);
      // The phone sheet slides in; re-centre once it has settled.
      setTimeout(scroll, 300);
    }
  } catch (err) {
    if (token !== state.panelToken) return;
    els.panelBody.setAttribute("aria-busy", "false");
    const message = err instanceof TypeError ? "无法连接到服务器 · Could not reach the server" : (err.message || String(err));
    showPanelMessage("error", `无法加载文章：${message}${err.detail ? ` (${err.detail})` : ""}`);
  }
}

function markActive(selector, root) {
  for (const b of document.querySelectorAll(".cite.active, .source-item.active, .nearest-item.active")) b.classList.remove("active");
  if (root) for (const b of root.querySelectorAll(selector)) b.classList.add("active");
}

function openCitation(msg, n, trigger) {
  const c = msg.citations.get(n);
  if (!c) return Promise.resolve();
  markActive(`.cite[data-n="${n}"], .source-item[data-n="${n}"]`, msg.el);
  openPanel(trigger);
  return loadArticle(c.doc_id,
    { kicker: `引用 [${n}] · Citation`, title: c.title, source: c.source, published: c.published, url: c.url },
    { start: c.start, end: c.end, quote: c.quote, claim: claimsOf(msg.text).get(n) || "" });
}

function openDocument(docId, meta = {}, trigger = null) {
  if (!docId) return Promise.resolve();
  openPanel(trigger || document.activeElement);
  return loadArticle(String(docId),
    { kicker: "文章 · Article", title: meta.title || "", source: meta.source, published: meta.published, url: meta.url },
    null);
}

// ---------------------------------------------------------------------------------------------
// Wiring

// The outlet and date filters: choices from /api/facets; every question is sent with what is set.
function currentFilters() {
  const f = {};
  if (els.filterSource.value) f.source = els.filterSource.value;
  if (els.filterFrom.value) f.date_from = els.filterFrom.value;
  if (els.filterTo.value) f.date_to = els.filterTo.value;
  return Object.keys(f).length ? f : null;
}

async function loadFacets() {
  try {
    const res = await fetch("/api/facets", { headers: { Accept: "application/json" } });
    if (!res.ok) return; // the controls stay usable with "all" and free dates
    const facets = await res.json();
    for (const o of facets.outlets || []) {
      if (!o.source) continue;
      els.filterSource.append(h("option", { value: o.source }, `${o.source} (${o.articles})`));
    }
    const d = facets.dates || {};
    for (const input of [els.filterFrom, els.filterTo]) {
      if (d.from) input.min = d.from;
      if (d.to) input.max = d.to;
    }
  } catch {
    /* offline or not ready: the filters still work, without the lists */
  }
}

function init() {
  loadFacets();
  for (const q of EXAMPLES) {
    const chip = h("button", { type: "button", class: "chip", lang: /[A-Za-z]{3}/.test(q) ? "en" : "zh" }, q);
    chip.addEventListener("click", () => ask(q));
    els.examples.append(chip);
  }

  els.composer.addEventListener("submit", (e) => {
    e.preventDefault();
    submitFromInput();
  });
  els.input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.isComposing || e.keyCode === 229) return; // IME is composing: Enter confirms the candidate
    e.preventDefault();
    submitFromInput();
  });
  els.input.addEventListener("input", () => {
    autosize();
    updateSendButton();
  });
  els.newChat.addEventListener("click", newChat);

  els.messages.addEventListener("click", (e) => {
    const target = e.target instanceof Element ? e.target : null;
    if (!target) return;
    const li = target.closest(".msg");
    const msg = li && messageState.get(li);
    if (!msg) return;
    const cite = target.closest(".cite, .source-item");
    if (cite) {
      openCitation(msg, Number(cite.dataset.n), cite);
      return;
    }
    const near = target.closest(".nearest-item");
    if (near) {
      const meta = (msg.nearest || []).find((a) => a && a.doc_id === near.dataset.doc) || {};
      markActive("", null);
      near.classList.add("active");
      openDocument(near.dataset.doc, meta, near);
    }
  });

  els.panelClose.addEventListener("click", () => closePanel());
  els.scrim.addEventListener("click", () => closePanel());
  els.jump.addEventListener("click", () => {
    const m = document.getElementById("quote-start");
    if (m) {
      m.scrollIntoView({ block: "center", behavior: "smooth" });
      m.focus({ preventScroll: true });
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && els.app.classList.contains("panel-open")) closePanel();
  });
  phoneQuery.addEventListener("change", () => {
    els.scrim.hidden = !(phoneQuery.matches && els.app.classList.contains("panel-open"));
  });

  updateSendButton();
  autosize();

  // Hooks for tests and debugging.
  window.__openDocument = (docId, meta) => openDocument(docId, meta || {});
  window.__ask = (q) => ask(q);
}

init();
