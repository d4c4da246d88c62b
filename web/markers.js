// Citation markers in answer text: "[1]"; a model's "[1, 2]" / "[1，2]" is tolerated too.

export const MARKER = /\[(\d{1,3}(?:\s*[,，]\s*\d{1,3})*)\]/g;

const numbers = (group) => group.split(/\s*[,，]\s*/).map(Number);

// The text cut at its markers: strings and citation numbers, in order.
export function splitMarkers(text) {
  const parts = [];
  let last = 0;
  MARKER.lastIndex = 0;
  for (let m; (m = MARKER.exec(text));) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(...numbers(m[1]));
    last = MARKER.lastIndex;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

// n -> the answer sentence marker [n] first follows, to emphasise it inside the cited passage.
export function claimsOf(text) {
  const claims = new Map();
  let prev = 0;
  let last = "";
  MARKER.lastIndex = 0;
  for (let m; (m = MARKER.exec(text));) {
    const seg = text.slice(prev, m.index).trim();
    if (seg) last = seg;
    for (const n of numbers(m[1])) if (!claims.has(n) && last) claims.set(n, last);
    prev = MARKER.lastIndex;
  }
  return claims;
}
