// The message list: the welcome text, the user's and the assistant's turns, and keeping the newest in view.

import { $, h, icon } from "./dom.js";
import { createAssistant } from "./message.js";

const els = { scroller: $("scroller"), welcome: $("welcome"), messages: $("messages") };
const byElement = new WeakMap(); // <li.msg> -> assistant message state

export function appendUser(text) {
  els.welcome.hidden = true;
  const li = h("li", { class: "msg user" },
    h("div", { class: "bubble" }, h("span", { class: "visually-hidden", text: "你：" }), h("p", { class: "user-text", text })),
    h("div", { class: "avatar", "aria-hidden": "true" }, icon("user")));
  els.messages.append(li);
  return li;
}

export function appendAssistant() {
  const msg = createAssistant();
  byElement.set(msg.el, msg);
  els.messages.append(msg.el);
  return msg;
}

// The assistant message an element (say, a clicked button) belongs to, if any.
export function messageAt(node) {
  const li = node instanceof Element ? node.closest(".msg") : null;
  return (li && byElement.get(li)) || null;
}

// Take an assistant message and the question before it out of the list (a failed turn being retried).
export function removeTurn(msg) {
  const userLi = msg.el.previousElementSibling;
  msg.el.remove();
  if (userLi && userLi.classList.contains("user")) userLi.remove();
}

export function clearConversation() {
  els.messages.replaceChildren();
  els.welcome.hidden = false;
  els.scroller.scrollTop = 0;
}

export function scrollToBottom() {
  els.scroller.scrollTo({ top: els.scroller.scrollHeight, behavior: "auto" });
}

// Run `change`; if the reader was at the bottom of the conversation, keep them there.
export function keepingBottom(change) {
  const s = els.scroller;
  const stick = s.scrollHeight - s.scrollTop - s.clientHeight < 120;
  change();
  if (stick) scrollToBottom();
}
