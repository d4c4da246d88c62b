// The answer stream: a question goes to POST /api/chat with the conversation so far and the filters; the
// server-sent events fill the assistant message as they arrive.

import { finish, showError } from "./answer.js";
import { setBusy } from "./composer.js";
import { appendAssistant, appendUser, keepingBottom, removeTurn, scrollToBottom } from "./conversation.js";
import { forgetChanged } from "./docs.js";
import { $ } from "./dom.js";
import { ChatError, httpError } from "./errors.js";
import { currentCollection, currentFilters } from "./filters.js";
import { onCitation, onDelta, onReset, onRetrieval } from "./message.js";
import { readEvents } from "./sse.js";

const app = $("app");
let history = []; // [{role, content}] sent with every request so follow-ups work
let streaming = false;
let controller = null;
let generation = 0; // bumped by a new chat so late responses of a cleared chat are dropped

function setStreaming(on) {
  streaming = on;
  app.classList.toggle("is-streaming", on);
  setBusy(on);
}

// An answer names the articles it drew on, as they are now: cached copies that disagree are dropped.
function noteArticles(data, collection = null) {
  if (!data || typeof data !== "object") return;
  forgetChanged(data.citations, collection);
  forgetChanged(data.passages, collection);
  forgetChanged(data.nearest, collection);
}

function payloadOf(ev) {
  try {
    return JSON.parse(ev.data);
  } catch {
    return null;
  }
}

// Read the event stream into `msg`; the `done` answer, or a ChatError.
async function readAnswer(res, msg, mine) {
  for await (const ev of readEvents(res.body, controller.signal)) {
    if (mine !== generation) return null;
    const payload = payloadOf(ev);
    if (ev.event === "retrieval") {
      noteArticles(payload, msg.collection);
      onRetrieval(msg, payload);
    } else if (ev.event === "delta") keepingBottom(() => onDelta(msg, payload));
    else if (ev.event === "citation") onCitation(msg, payload);
    else if (ev.event === "reset") onReset(msg, payload);
    else if (ev.event === "error") {
      throw new ChatError((payload && (payload.message || (payload.error && payload.error.message))) || ev.data || "服务器出错 · Server error");
    } else if (ev.event === "done") return payload;
  }
  throw new ChatError("回答在完成前中断 · The answer stream ended early");
}

export async function ask(question) {
  question = (question || "").trim();
  if (!question || streaming) return;
  appendUser(question);
  history.push({ role: "user", content: question });
  const msg = appendAssistant();
  const collection = currentCollection();
  msg.collection = collection; // its citations open articles of this collection
  scrollToBottom();
  setStreaming(true);

  const mine = generation;
  controller = new AbortController();
  try {
    const filters = currentFilters();
    const res = await fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(Object.assign({ messages: history.slice(), stream: true }, filters ? { filters } : {},
        collection !== "default" ? { collection } : {})),
      signal: controller.signal,
    });
    if (!res.ok) throw await httpError(res);
    const streamed = (res.headers.get("content-type") || "").includes("text/event-stream");
    const data = streamed ? await readAnswer(res, msg, mine) : await res.json();
    if (mine !== generation) return;
    noteArticles(data, collection);
    keepingBottom(() => finish(msg, data));
    history.push({ role: "assistant", content: msg.data && typeof msg.data.answer === "string" ? msg.data.answer : msg.text });
  } catch (err) {
    if (mine !== generation || (err && err.name === "AbortError")) return;
    // Drop the failed question from the history so the next request stays well-formed.
    if (history.length && history[history.length - 1].role === "user") history.pop();
    showError(msg, err, () => {
      if (streaming) return;
      removeTurn(msg);
      ask(question);
    });
  } finally {
    if (mine === generation) {
      controller = null;
      setStreaming(false);
    }
  }
}

// Forget the conversation; an answer still streaming is stopped and dropped.
export function resetChat() {
  generation += 1;
  if (controller) controller.abort();
  controller = null;
  history = [];
  setStreaming(false);
}
