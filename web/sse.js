// Minimal Server-Sent Events parser for a fetch() response body (EventSource cannot POST).
// Yields {event, data} objects; `data` is the raw string (multiple data: lines joined with "\n").

export async function* readEvents(body, signal) {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  const onAbort = () => { reader.cancel().catch(() => {}); };
  if (signal) signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      // Normalise line endings so "\r\n\r\n" and "\r\r" also separate events.
      buffer = buffer.replace(/\r\n?/g, "\n");
      let sep;
      while ((sep = buffer.indexOf("\n\n")) !== -1) {
        const block = buffer.slice(0, sep);
        buffer = buffer.slice(sep + 2);
        const ev = parseBlock(block);
        if (ev) yield ev;
      }
    }
    buffer += decoder.decode();
    const tail = parseBlock(buffer.replace(/\r\n?/g, "\n"));
    if (tail) yield tail;
  } finally {
    if (signal) signal.removeEventListener("abort", onAbort);
    try { reader.releaseLock(); } catch { /* stream already released */ }
  }
}

function parseBlock(block) {
  let event = "message";
  const data = [];
  let seen = false;
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue; // blank or comment (keep-alive)
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") { event = value; seen = true; }
    else if (field === "data") { data.push(value); seen = true; }
  }
  if (!seen || data.length === 0) return null;
  return { event, data: data.join("\n") };
}
