// How a message ends: the `done` answer with its notes (not found, filters used, LLM fallback, outlets that
// disagree, nearest articles), or an error box with a Retry button.

import { h, icon } from "./dom.js";
import { ChatError, isNetworkError, NETWORK_MESSAGE } from "./errors.js";
import { formatDate, metaParts } from "./format.js";
import { splitMarkers } from "./markers.js";
import { citeButton, removeStatus, renderAnswerText, renderSources } from "./message.js";
import { pageLabel } from "./panel.js";

function ended(msg) {
  removeStatus(msg);
  msg.el.classList.remove("streaming");
  msg.textEl.setAttribute("aria-busy", "false");
}

const note = (cls, iconName, text) => h("p", { class: cls, role: "note" }, icon(iconName), h("span", { text }));

function filtersUsed(f) {
  const dates = [f.date_from, f.date_to].some(Boolean) ? `${f.date_from || "…"} – ${f.date_to || "…"}` : null;
  const period = f.period ? `（问题中的时间 · from the question: ${f.period}）` : "";
  return note("filters-used", "info", `已筛选 · Filtered: ${[f.source, dates].filter(Boolean).join(", ")}${period}`);
}

// A timeline answer (issue 14): its events as a vertical list of dates, each with a "推断 · inferred" badge when
// the date was worked out from the article's publication date, and its markers, which open the source panel like
// any marker. The answer text keeps its other lines (the heading and any notes).
const EVENT_LINE = /^\d{4}(?:-\d{2}){0,2}(?:（推断）| \(inferred\))? /;

function showTimeline(msg, items) {
  const rest = msg.text.split("\n").filter((line) => !EVENT_LINE.test(line)).join("\n");
  msg.textEl.replaceChildren(...splitMarkers(rest).map((p) => (typeof p === "number" ? citeButton(msg, p) : p)));
  const list = h("ol", { class: "timeline" });
  for (const ev of items) {
    if (!ev || typeof ev.date !== "string" || typeof ev.text !== "string") continue;
    const cites = Array.isArray(ev.citations) ? ev.citations.filter((n) => typeof n === "number") : [];
    list.append(h("li", { class: ev.inferred ? "tl-event inferred" : "tl-event" },
      h("p", { class: "tl-when" },
        h("time", { class: "tl-date", datetime: ev.date, text: ev.date }),
        ev.inferred ? h("span", { class: "tl-badge", title: "日期由报道的发布日期推算 · worked out from the publication date",
          text: "推断 · inferred" }) : null),
      h("p", { class: "tl-text" }, ev.text, ...cites.map((n) => citeButton(msg, n)))));
  }
  msg.textEl.after(h("section", { class: "timeline-section", "aria-label": "时间线 · Timeline" }, list));
}

// Outlets that report different figures: each with its outlet, date and citation.
function disagreements(msg, items) {
  const list = h("ul", { class: "disagreement-list" });
  for (const d of items) {
    if (!d || typeof d.n !== "number") continue;
    list.append(h("li", {},
      h("span", { class: "src-title", text: d.source || "未注明来源" }),
      d.published ? h("span", { class: "src-meta", text: ` · ${formatDate(d.published)}` }) : null,
      citeButton(msg, d.n)));
  }
  return h("section", { class: "disagreements", role: "note", "aria-label": "各来源说法不一 · Sources differ" },
    h("h3", { class: "section-label" }, icon("warn"), h("span", { text: "各来源说法不一 · Sources differ" })), list);
}

function nearestArticles(items) {
  const list = h("ul", { class: "nearest-list" });
  for (const a of items) {
    if (!a || !a.doc_id) continue;
    const meta = metaParts(a);
    list.append(h("li", {},
      h("button", { type: "button", class: "nearest-item", dataset: { doc: a.doc_id } },
        icon("doc"),
        h("span", { class: "nearest-text" },
          h("span", { class: "src-title", text: a.title || a.doc_id }),
          meta.length ? h("span", { class: "src-meta", text: meta.join(" · ") }) : null))));
  }
  return h("section", { class: "nearest", "aria-label": "最接近的文章 · Closest articles" },
    h("h3", { class: "section-label", text: "最接近的文章 · Closest articles" }), list);
}

// A citation into a PDF names its page after its outlet and date in the source list ("第3页 · p. 3").
function showPages(msg) {
  for (const item of msg.sourcesEl ? msg.sourcesEl.querySelectorAll(".source-item") : []) {
    const label = pageLabel((msg.citations.get(Number(item.dataset.n)) || {}).page);
    if (!label) continue;
    const meta = item.querySelector(".src-meta");
    if (meta) meta.textContent += ` · ${label}`;
    else item.append(h("span", { class: "src-meta", text: label }));
  }
}

// A source with duplicate stories (re-posts, syndicated copies) names the other outlets under it (rag/duplicates.py).
function showAlsoReported(msg) {
  for (const item of msg.sourcesEl ? msg.sourcesEl.querySelectorAll(".source-item") : []) {
    const also = (msg.citations.get(Number(item.dataset.n)) || {}).also_reported_by;
    if (!Array.isArray(also) || !also.length) continue;
    const names = [...new Set(also.map((d) => (d && (d.source || d.title || d.doc_id)) || "").filter(Boolean))];
    item.append(h("span", { class: "src-meta src-also", text: `也见于 · Also reported by: ${names.join(", ")}` }));
  }
}

export function finish(msg, data) {
  if (!data || typeof data !== "object") throw new ChatError("服务器返回了无法识别的回答 · Malformed answer");
  msg.data = data;
  ended(msg);
  if (typeof data.answer === "string") msg.text = data.answer;
  if (Array.isArray(data.citations)) {
    msg.citations = new Map(data.citations.filter((c) => c && typeof c.n === "number").map((c) => [c.n, c]));
  }
  if (Array.isArray(data.passages)) msg.passages = data.passages;
  renderAnswerText(msg);
  if (Array.isArray(data.timeline) && data.timeline.length) showTimeline(msg, data.timeline);

  if (data.answerable === false) {
    msg.el.classList.add("not-answerable");
    msg.bubble.insertBefore(
      h("p", { class: "na-head" }, icon("info"), h("span", { text: "未在已收录的新闻中找到答案 · Not found in the indexed news" })),
      msg.textEl);
  }
  if (data.filters && typeof data.filters === "object") msg.bubble.append(filtersUsed(data.filters));
  if (data.degraded) {
    msg.bubble.append(note("degraded", "warn",
      `${typeof data.degraded === "string" ? data.degraded : "生成模型不可用，已改用摘录式回答。"}`));
  }
  if (Array.isArray(data.disagreements) && data.disagreements.length > 1) {
    msg.bubble.append(disagreements(msg, data.disagreements));
  }
  renderSources(msg);
  showPages(msg);
  showAlsoReported(msg);
  if (data.answerable === false && Array.isArray(data.nearest) && data.nearest.length) {
    msg.nearest = data.nearest;
    msg.bubble.append(nearestArticles(data.nearest));
  }
}

// The error in the message, after any partial answer; `onRetry` runs when Retry is pressed.
export function showError(msg, err, onRetry) {
  ended(msg);
  msg.el.classList.add("error");
  if (!msg.text) msg.textEl.remove();
  const network = isNetworkError(err);
  const message = network ? NETWORK_MESSAGE : (err.message || String(err));
  const detail = network ? err.message : (err.detail || "");
  const retry = h("button", { type: "button", class: "btn btn-small retry" }, icon("retry"), h("span", { text: "重试 · Retry" }));
  retry.addEventListener("click", onRetry);
  msg.bubble.append(h("div", { class: "error-box", role: "alert" },
    icon("error"),
    h("div", { class: "error-text" },
      h("p", { class: "error-title", text: "出错了 · Something went wrong" }),
      h("p", { class: "error-message", text: message }),
      detail ? h("p", { class: "error-detail", text: detail }) : null),
    retry));
}
