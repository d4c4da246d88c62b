// The articles the source panel has fetched, by id. An entry is dropped when the page learns that the article
// was replaced since it was fetched: a quote no longer at its offsets, or a new answer whose citations, passages
// or nearest articles disagree with the cached copy (other text at a span, another title, outlet, date or link).

import { httpError } from "./errors.js";

const cache = new Map(); // collection + doc_id -> {promise, doc (once fetched), chars (its text's code points)}

// Article ids are unique within a collection, not across collections.
function keyOf(docId, collection) {
  return `${collection || "default"}\u0000${docId}`;
}

export function fetchDocument(docId, collection = null) {
  const key = keyOf(docId, collection);
  if (!cache.has(key)) {
    const entry = { doc: null, chars: null };
    const query = collection && collection !== "default" ? `?collection=${encodeURIComponent(collection)}` : "";
    entry.promise = fetch(`/api/documents/${encodeURIComponent(docId)}${query}`, { headers: { Accept: "application/json" } })
      .then(async (res) => {
        if (!res.ok) throw await httpError(res);
        return res.json();
      })
      .then((doc) => {
        entry.doc = doc;
        return doc;
      });
    entry.promise.catch(() => { if (cache.get(key) === entry) cache.delete(key); });
    cache.set(key, entry);
  }
  return cache.get(key).promise;
}

export function forgetDocument(docId, collection = null) {
  cache.delete(keyOf(docId, collection));
}

// Whether `text` holds `quote` at [start, end) (Python code-point offsets).
export function quoteAt(text, span) {
  if (typeof text !== "string") return false;
  return Array.from(text).slice(Number(span.start) || 0, Number(span.end) || 0).join("") === span.quote;
}

const META = ["title", "source", "published", "url"];

function stale(entry, item) {
  const doc = entry.doc;
  if (META.some((k) => k in item && (item[k] ?? null) !== (doc[k] ?? null))) return true;
  const quote = typeof item.quote === "string" ? item.quote : item.text;
  if (typeof quote !== "string" || typeof item.start !== "number" || typeof item.end !== "number") return false;
  if (typeof doc.text !== "string") return true;
  entry.chars ??= Array.from(doc.text);
  return entry.chars.slice(item.start, item.end).join("") !== quote;
}

// Drop the cached articles that these answer items (citations, passages, nearest articles: {doc_id, ...}) show
// to have changed. Fetches still under way are left alone: they return the article as it is now.
export function forgetChanged(items, collection = null) {
  if (!Array.isArray(items)) return;
  for (const item of items) {
    if (!item || typeof item.doc_id !== "string") continue;
    const key = keyOf(item.doc_id, collection);
    const entry = cache.get(key);
    if (entry && entry.doc && stale(entry, item)) cache.delete(key);
  }
}
