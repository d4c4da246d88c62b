// The outlet and date filters of the composer: choices from /api/facets; every question is sent with what is set.

import { $, h } from "./dom.js";

const els = { source: $("filter-source"), from: $("filter-from"), to: $("filter-to") };

// {source, date_from, date_to} with the filters that are set, or null.
export function currentFilters() {
  const f = {};
  if (els.source.value) f.source = els.source.value;
  if (els.from.value) f.date_from = els.from.value;
  if (els.to.value) f.date_to = els.to.value;
  return Object.keys(f).length ? f : null;
}

export async function loadFacets() {
  try {
    const res = await fetch("/api/facets", { headers: { Accept: "application/json" } });
    if (!res.ok) return; // the controls stay usable with "all" and free dates
    const facets = await res.json();
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
