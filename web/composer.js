// The composer: the question box, the send button and the example questions. Enter sends, Shift+Enter is a
// new line, and Enter that confirms an IME candidate does not send.

import { $, h } from "./dom.js";

const els = { form: $("composer"), input: $("question"), send: $("send"), examples: $("examples") };
let busy = false; // an answer is streaming: nothing can be sent

function updateSendButton() {
  els.send.disabled = busy || els.input.value.trim() === "";
  els.send.setAttribute("aria-busy", busy ? "true" : "false");
  for (const chip of els.examples.querySelectorAll("button")) chip.disabled = busy;
}

function autosize() {
  const ta = els.input;
  ta.style.height = "auto";
  ta.style.height = `${Math.min(ta.scrollHeight, 200)}px`;
}

export function setBusy(on) {
  busy = on;
  updateSendButton();
}

// An empty question box with the focus in it (a new chat).
export function resetComposer() {
  els.input.value = "";
  autosize();
  updateSendButton();
  els.input.focus();
}

// `send(question)` asks a question: typed (button or Enter) or an example chip.
export function initComposer(examples, send) {
  for (const q of examples) {
    const chip = h("button", { type: "button", class: "chip", lang: /[A-Za-z]{3}/.test(q) ? "en" : "zh" }, q);
    chip.addEventListener("click", () => send(q));
    els.examples.append(chip);
  }
  const submit = () => {
    const text = els.input.value.trim();
    if (!text || busy) return;
    els.input.value = "";
    autosize();
    updateSendButton();
    send(text);
  };
  els.form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  els.input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.isComposing || e.keyCode === 229) return; // IME is composing: Enter confirms the candidate
    e.preventDefault();
    submit();
  });
  els.input.addEventListener("input", () => {
    autosize();
    updateSendButton();
  });
  updateSendButton();
  autosize();
}
