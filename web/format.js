// How server values are shown: dates, "outlet · date" lines, links that may be followed.

export function formatDate(iso) {
  if (typeof iso !== "string") return "";
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(iso);
  return m ? m[1] : "";
}

// The outlet and the day of an article (or a citation of it), the parts that are present.
export function metaParts(item) {
  return [item && item.source, item && formatDate(item.published)].filter(Boolean);
}

// Only http(s) links become hrefs: never javascript:, data: and the like.
export function isSafeHttpUrl(url) {
  if (typeof url !== "string" || !url) return false;
  try {
    const u = new URL(url, location.href);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
