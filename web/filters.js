// The collection picker and the outlet and date filters of the composer: collections from /api/collections,
// choices from /api/facets (of the chosen collection); every question is sent with what is set.

import { $, h } from "./dom.js";

const els = { collection: $("filter-collection"), source: $("filter-source"), from: $("filter-from"),
  to: $("filter-to") };

// The chosen collection's name ("default" unless the user picked another).
export function currentCollection() {
  return (els.collection && els.collection.value) || "default";
}

// Fill the picker; it shows only when there is more than one collection. Switching collections starts a new
// conversation (`onChange`), since earlier questions were about other articles, and reloads the filters' lists.
export async function initCollections(onChange) {
  if (!els.collection) return;
  els.collection.addEventListener("change", () => {
    onChange();
    loadFacets();
  });
  try {
    const res = await fetch("/api/collections", { headers: { Accept: "application/json" } });
    if (!res.ok) return;
    const list = (await res.json()).collections || [];
    els.collection.replaceChildren(...list.map((c) => h("option", { value: c.name },
      `${c.name === "default" ? "默认 · Default" : c.name} (${c.articles})`)));
    els.collection.closest("label").hidden = list.length < 2;
  } catch {
    /* offline or not ready: questions go to the default collection */
  }
}

// {source, date_from, date_to} with the filters that are set, or null.
export function currentFilters() {
  const f = {};
  if (els.source.value) f.source = els.source.value;
  if (els.from.value) f.date_from = els.from.value;
  if (els.to.value) f.date_to = els.to.value;
  return Object.keys(f).length ? f : null;
}

export async function loadFacets() {
  const coll = currentCollection();
  const query = coll !== "default" ? `?collection=${encodeURIComponent(coll)}` : "";
  try {
    const res = await fetch(`/api/facets${query}`, { headers: { Accept: "application/json" } });
    if (!res.ok) return; // the controls stay usable with "all" and free dates
    const facets = await res.json();
    els.source.replaceChildren(els.source.options[0]);
    for (const o of facets.outlets || []) {
      if (!o.source) continue;
      els.source.append(h("option", { value: o.source }, `${o.source} (${o.articles})`));
    }
    const d = facets.dates || {};
    for (const input of [els.from, els.to]) {
      if (d.from) input.min = d.from;
      if (d.to) input.max = d.to;
    }
  } catch {
    /* offline or not ready: the filters still work, without the lists */
  }
}
