// News QA chat page: wires the modules together. Plain ES modules, no dependencies, no build step.
// Security rule for every module: text that comes from the server (answers, titles, article text, error
// messages) is only ever put into the page as Text nodes (dom.js's h(), textContent) — never innerHTML — so
// an article containing <script> or <img onerror> stays inert text.
//
//   dom.js, format.js, markers.js, errors.js   small helpers
//   composer.js, filters.js                    the question box, the send button, the example chips, the filters
//   chat.js (+ sse.js)                         the answer stream
//   conversation.js, message.js, answer.js     the message list, a streaming message, a finished answer or error
//   panel.js, article.js, docs.js              the source panel, the article in it, the cache of fetched articles
//   documents.js, upload.js, apikey.js         the documents view: list, filter, upload, delete, the API key

import { ask, resetChat } from "./chat.js";
import { initComposer, resetComposer } from "./composer.js";
import { clearConversation, messageAt } from "./conversation.js";
import { $ } from "./dom.js";
import { initDocuments, showView } from "./documents.js";
import { initCollections, loadFacets } from "./filters.js";
import { claimsOf } from "./markers.js";
import { closePanel, initPanel, markActive, openCitation, openDocument } from "./panel.js";

const EXAMPLES = [
  "哈萨克斯坦骚乱中有多少人被捕？",
  "托卡耶夫对卢甘斯克和顿涅茨克持什么立场？",
  "Who is the president of Kazakhstan?",
  "哈薩克斯坦與俄羅斯的邊界有多長？",
  "蒙古国的首都是哪里？",
];

function newChat() {
  resetChat();
  clearConversation();
  closePanel(false);
  resetComposer();
}

// A citation marker or a source in an answer opens the cited span; a nearest article opens the whole article.
function onMessageClick(e) {
  const target = e.target instanceof Element ? e.target : null;
  const msg = target && messageAt(target);
  if (!msg) return;
  const cite = target.closest(".cite, .source-item");
  if (cite) {
    const n = Number(cite.dataset.n);
    const c = msg.citations.get(n);
    if (!c) return;
    markActive(msg.el.querySelectorAll(`.cite[data-n="${n}"], .source-item[data-n="${n}"]`));
    openCitation(c, claimsOf(msg.text).get(n), cite, msg.collection);
    return;
  }
  const near = target.closest(".nearest-item");
  if (near) {
    markActive([near]);
    openDocument(near.dataset.doc, msg.nearest.find((a) => a && a.doc_id === near.dataset.doc) || {}, near,
      msg.collection);
  }
}

loadFacets();
initCollections(newChat);
initComposer(EXAMPLES, ask);
initPanel();
$("new-chat").addEventListener("click", newChat);
$("messages").addEventListener("click", onMessageClick);
// The documents view (documents.js): the header's button switches to it; "New chat" comes back to the chat.
initDocuments();
$("new-chat").addEventListener("click", () => {
  showView("chat");
  $("question").focus();
});
