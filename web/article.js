// An article's text as the source panel shows it: paragraphs, the cited span marked, the claim it supports
// emphasised. Only Text nodes carry article content.

import { h } from "./dom.js";
import { MARKER } from "./markers.js";

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

// The article as paragraphs (split on newlines); the quoted span becomes one <mark class="highlight"> per
// paragraph it touches, and the answer sentence it supports (span.claim, if found verbatim) a <span class="claim">
// inside the mark. Returns {fragment, marks, exact: whether the offsets held the quote}.
export function renderArticle(text, span) {
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
