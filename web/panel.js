// The source panel: the article a citation (or a nearest article) points to, beside the conversation on a
// desktop and as a bottom sheet over a scrim on a phone.

import { renderArticle } from "./article.js";
import { fetchDocument, forgetDocument, quoteAt } from "./docs.js";
import { $, h, icon } from "./dom.js";
import { NETWORK_MESSAGE, isNetworkError } from "./errors.js";
import { formatDate, isSafeHttpUrl } from "./format.js";

const els = {
  app: $("app"),
  panel: $("source-panel"),
  scrim: $("scrim"),
  kicker: $("source-kicker"),
  title: $("source-title"),
  meta: $("source-meta"),
  link: $("source-link"),
  body: $("source-body"),
  close: $("close-source"),
  jump: $("jump-highlight"),
};
const phoneQuery = window.matchMedia("(max-width: 760px)");
const ACTIVE = ".cite.active, .source-item.active, .nearest-item.active";
let token = 0; // bumped on every load and close so a slow earlier article cannot overwrite a newer one
let trigger = null; // the element that opened the panel, to restore focus on close

const isOpen = () => els.app.classList.contains("panel-open");

function openPanel(opener) {
  if (opener) trigger = opener;
  const wasOpen = isOpen();
  els.panel.hidden = false;
  els.scrim.hidden = !phoneQuery.matches;
  if (!wasOpen) {
    void els.panel.offsetWidth; // start the slide-in transition from the closed position
    els.app.classList.add("panel-open");
  }
  els.title.focus({ preventScroll: true });
}

export function closePanel(restoreFocus = true) {
  token += 1;
  if (!isOpen() && els.panel.hidden) return;
  els.app.classList.remove("panel-open");
  els.scrim.hidden = true;
  markActive(null);
  const mine = token;
  const hide = () => { if (mine === token && !isOpen()) els.panel.hidden = true; };
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  if (phoneQuery.matches && !reduce) setTimeout(hide, 260);
  else hide();
  if (restoreFocus && trigger && document.contains(trigger)) trigger.focus({ preventScroll: true });
  trigger = null;
}

// Highlight the buttons that point at what the panel shows (and only those).
export function markActive(buttons) {
  for (const b of document.querySelectorAll(ACTIVE)) b.classList.remove("active");
  for (const b of buttons || []) b.classList.add("active");
}

// The page of a citation into a PDF, as the source list and the panel show it.
export function pageLabel(page) {
  return Number.isInteger(page) && page > 0 ? `第${page}页 · p. ${page}` : "";
}

function setHeader({ kicker, title, source, published, author, url, page }) {
  els.kicker.textContent = kicker || "文章 · Article";
  els.title.textContent = title || "";
  const parts = [source, formatDate(published), author && author !== source ? author : null, pageLabel(page)]
    .filter(Boolean);
  els.meta.replaceChildren();
  parts.forEach((p, i) => {
    if (i) els.meta.append(h("span", { class: "sep", "aria-hidden": "true", text: "·" }));
    els.meta.append(h("span", { text: p }));
  });
  els.meta.hidden = parts.length === 0;
  if (isSafeHttpUrl(url)) {
    els.link.href = url;
    els.link.hidden = false;
  } else {
    els.link.removeAttribute("href");
    els.link.hidden = true;
  }
}

function showMessage(kind, text) {
  els.body.replaceChildren(h("p", { class: `panel-${kind}` }, kind === "error" ? icon("error") : null, h("span", { text })));
}

async function loadArticle(docId, header, span, collection = null) {
  const mine = ++token;
  setHeader(header);
  els.jump.hidden = true;
  els.body.setAttribute("aria-busy", "true");
  showMessage("loading", "正在加载全文… Loading the article…");
  try {
    let doc = await fetchDocument(docId, collection);
    if (span && span.quote && !quoteAt(doc.text, span)) {
      // The cached copy predates a replacement of the article: fetch it again.
      forgetDocument(docId, collection);
      doc = await fetchDocument(docId, collection);
    }
    if (mine !== token) return;
    setHeader({
      kicker: header.kicker,
      title: doc.title || header.title,
      source: doc.source ?? header.source,
      published: doc.published ?? header.published,
      author: doc.author,
      url: doc.url ?? header.url,
      page: header.page,
    });
    const { fragment, marks, exact } = renderArticle(typeof doc.text === "string" ? doc.text : "", span);
    els.body.replaceChildren(fragment);
    els.body.dataset.docId = docId;
    els.body.dataset.offsetsExact = String(exact);
    els.body.setAttribute("aria-busy", "false");
    els.body.scrollTop = 0;
    if (marks.length) {
      els.jump.hidden = false;
      const target = marks[0];
      const scroll = () => { if (mine === token) target.scrollIntoView({ block: "center" }); };
      scroll();
      requestAnimationFrame(scroll);
      // The phone sheet slides in; re-centre once it has settled.
      setTimeout(scroll, 300);
    }
  } catch (err) {
    if (mine !== token) return;
    els.body.setAttribute("aria-busy", "false");
    const message = isNetworkError(err) ? NETWORK_MESSAGE : (err.message || String(err));
    showMessage("error", `无法加载文章：${message}${err.detail ? ` (${err.detail})` : ""}`);
  }
}

// Citation c of an answer ({n, doc_id, title, quote, start, end, ...}), its quote marked; `claim` is the answer
// sentence it supports; `collection` is the one the answer came from.
export function openCitation(c, claim, opener, collection = null) {
  openPanel(opener);
  return loadArticle(c.doc_id,
    { kicker: `引用 [${c.n}] · Citation`, title: c.title, source: c.source, published: c.published, url: c.url,
      page: c.page },
    { start: c.start, end: c.end, quote: c.quote, claim: claim || "" }, collection);
}

// A whole article, nothing marked; `meta` (title, outlet, date, link) shows while it loads.
export function openDocument(docId, meta = {}, opener = null, collection = null) {
  if (!docId) return Promise.resolve();
  openPanel(opener || document.activeElement);
  return loadArticle(String(docId),
    { kicker: "文章 · Article", title: meta.title || "", source: meta.source, published: meta.published, url: meta.url },
    null, collection);
}

export function initPanel() {
  els.close.addEventListener("click", () => closePanel());
  els.scrim.addEventListener("click", () => closePanel());
  els.jump.addEventListener("click", () => {
    const m = document.getElementById("quote-start");
    if (m) {
      m.scrollIntoView({ block: "center", behavior: "smooth" });
      m.focus({ preventScroll: true });
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && isOpen()) closePanel();
  });
  phoneQuery.addEventListener("change", () => {
    els.scrim.hidden = !(phoneQuery.matches && isOpen());
  });
}
