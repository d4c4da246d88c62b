// The documents view, the page's second view beside the chat (the header's "文档 · Documents" button, or
// /#documents): the articles of the chosen collection with outlet, date, collection and size, a filter box, the
// upload area (upload.js) and delete with a confirmation dialog. Writes need the API key (apikey.js); without it
// the view is read-only. The collection is the composer's picker (filters.js): the view's own picker follows it
// and sets it. Everything goes through the API: GET/POST /api/documents, DELETE /api/documents/{id},
// GET /api/collections.

import { WRITES_DISABLED_MESSAGE, WRONG_KEY_MESSAGE, apiKey, authHeaders, checkApiKey, forgetApiKey, keyProblem,
  onApiKeyChange, setApiKey } from "./apikey.js";
import { forgetDocument } from "./docs.js";
import { $, h, icon } from "./dom.js";
import { NETWORK_MESSAGE, httpError, isNetworkError } from "./errors.js";
import { currentCollection, loadFacets } from "./filters.js";
import { formatDate } from "./format.js";
import { closePanel, openDocument } from "./panel.js";
import { clearUploadStatus, initUpload, showUploadArea } from "./upload.js";

const els = {
  app: $("app"),
  chat: $("chat"),
  view: $("documents"),
  toggle: $("docs-toggle"),
  title: $("docs-title"),
  count: $("docs-count"),
  keyState: $("docs-key-state"),
  keyOpen: $("docs-key-open"),
  keyForget: $("docs-key-forget"),
  keyForm: $("key-form"),
  keyInput: $("key-input"),
  keyCancel: $("key-cancel"),
  keyError: $("key-error"),
  collection: $("docs-collection"),
  composerCollection: $("filter-collection"),
  filter: $("docs-filter"),
  table: $("docs-table"),
  rows: $("docs-rows"),
  empty: $("docs-empty"),
  status: $("docs-status"),
  dialog: $("delete-dialog"),
  deleteName: $("delete-name"),
  deleteWhere: $("delete-where"),
  deleteError: $("delete-error"),
  deleteCancel: $("delete-cancel"),
  deleteConfirm: $("delete-confirm"),
};
const numbers = new Intl.NumberFormat("en-US");
let docs = []; // the shown collection's articles, as GET /api/documents returns them
let shownCollection = null;
let loadToken = 0; // bumped on every load, so a slow earlier list cannot replace a newer one
let fresh = new Set(); // ids the last upload indexed: marked in the list
let pendingDelete = null; // {doc, opener} while the confirmation dialog is open

const collectionLabel = (name) => (name === "default" ? "默认 · Default" : name);
const query = (coll) => (coll && coll !== "default" ? `?collection=${encodeURIComponent(coll)}` : "");
export const isDocumentsView = () => !els.view.hidden;

// ------------------------------------------------------------------------------------------ the view

// "chat" or "documents"; the URL's #documents follows, so a reload (or a link) opens the same view.
export function showView(name, { focus = true } = {}) {
  const docsView = name === "documents";
  if (docsView === isDocumentsView()) return;
  closePanel(false);
  els.chat.hidden = docsView;
  els.view.hidden = !docsView;
  els.app.classList.toggle("docs-open", docsView);
  els.toggle.setAttribute("aria-pressed", String(docsView));
  const url = location.pathname + location.search + (docsView ? "#documents" : "");
  if (location.href !== new URL(url, location.href).href) history.replaceState(null, "", url);
  if (docsView) {
    refresh();
    if (focus) els.title.focus({ preventScroll: true });
  }
}

function refresh() {
  loadCollections();
  loadList();
}

// ------------------------------------------------------------------------------------------ the key

function renderKeyState() {
  const writable = Boolean(apiKey());
  els.keyState.replaceChildren(icon(writable ? "doc" : "info"), h("span", {
    text: writable ? "可以上传和删除 · You can upload and delete"
      : "只读 · Read-only：输入 API 密钥后可以修改 · enter the API key to make changes",
  }));
  els.keyState.classList.toggle("writable", writable);
  els.keyOpen.hidden = writable || !els.keyForm.hidden;
  els.keyForget.hidden = !writable;
  if (writable) els.keyForm.hidden = true;
  els.table.classList.toggle("readonly", !writable);
  showUploadArea(writable, collectionLabel(currentCollection()));
  renderRows();
}

function openKeyForm() {
  els.keyForm.hidden = false;
  els.keyOpen.hidden = true;
  els.keyError.hidden = true;
  els.keyInput.value = "";
  els.keyInput.focus();
}

function closeKeyForm() {
  els.keyForm.hidden = true;
  els.keyOpen.hidden = Boolean(apiKey());
  els.keyOpen.focus();
}

function keyError(text) {
  els.keyError.textContent = text;
  els.keyError.hidden = false;
  els.keyInput.focus();
  els.keyInput.select();
}

async function submitKey(e) {
  e.preventDefault();
  const key = els.keyInput.value.trim();
  if (!key) {
    keyError("请输入 API 密钥 · Enter the API key");
    return;
  }
  const submit = els.keyForm.querySelector("button[type=submit]");
  submit.disabled = true;
  els.keyForm.setAttribute("aria-busy", "true");
  try {
    const verdict = await checkApiKey(key);
    if (verdict === "wrong") keyError("API 密钥不正确 · Wrong API key");
    else if (verdict === "disabled") keyError(WRITES_DISABLED_MESSAGE);
    else {
      els.keyInput.value = "";
      setApiKey(key); // re-renders: the form closes, the upload area and delete buttons appear
      say(`已使用 API 密钥 · API key accepted`);
      $("file-pick").focus();
    }
  } catch (err) {
    keyError(isNetworkError(err) ? NETWORK_MESSAGE : `${err.message}${err.detail ? ` (${err.detail})` : ""}`);
  } finally {
    submit.disabled = false;
    els.keyForm.setAttribute("aria-busy", "false");
  }
}

// ------------------------------------------------------------------------------------------ collections

// The view's picker lists the collections with their sizes; it shows once there are two, like the composer's.
async function loadCollections() {
  try {
    const res = await fetch("/api/collections", { headers: { Accept: "application/json" } });
    if (!res.ok) return;
    const list = (await res.json()).collections || [];
    const current = currentCollection();
    els.collection.replaceChildren(...list.map((c) => h("option", { value: c.name, selected: c.name === current },
      `${collectionLabel(c.name)} (${c.articles})`)));
    els.collection.value = current;
    els.collection.closest("label").hidden = list.length < 2;
    // the composer's picker shows the same sizes
    for (const c of list) {
      const opt = Array.from(els.composerCollection.options).find((o) => o.value === c.name);
      if (opt) opt.textContent = `${collectionLabel(c.name)} (${c.articles})`;
    }
  } catch {
    /* offline: the list below says so */
  }
}

// Picking a collection here picks it in the composer too (which starts a new conversation there).
function pickCollection() {
  const name = els.collection.value;
  const picker = els.composerCollection;
  if (!Array.from(picker.options).some((o) => o.value === name)) picker.append(h("option", { value: name }, name));
  picker.value = name;
  picker.dispatchEvent(new Event("change", { bubbles: true }));
}

function followCollection() {
  if (els.collection.value !== currentCollection()) els.collection.value = currentCollection();
  fresh = new Set();
  showUploadArea(Boolean(apiKey()), collectionLabel(currentCollection()));
  if (isDocumentsView()) {
    clearUploadStatus();
    loadList();
  }
}

// ------------------------------------------------------------------------------------------ the list

function say(text) {
  els.status.textContent = "";
  // a new text node, so that screen readers announce the same words twice in a row too
  requestAnimationFrame(() => { els.status.textContent = text; });
}

async function loadList() {
  const mine = ++loadToken;
  const coll = currentCollection();
  els.rows.setAttribute("aria-busy", "true");
  if (coll !== shownCollection) {
    docs = [];
    shownCollection = null; // nothing to show until the list arrives (not "no documents")
    renderRows();
    els.count.textContent = "正在加载… · Loading…";
  }
  try {
    const res = await fetch(`/api/documents${query(coll)}`, { headers: { Accept: "application/json" } });
    if (!res.ok) throw await httpError(res);
    const body = await res.json();
    if (mine !== loadToken) return;
    docs = (Array.isArray(body.documents) ? body.documents : []).filter((d) => d && typeof d.id === "string");
    docs.sort((a, b) => String(b.published || "").localeCompare(String(a.published || ""))
      || String(a.title || a.id).localeCompare(String(b.title || b.id), "zh-CN"));
    shownCollection = coll;
    renderRows();
  } catch (err) {
    if (mine !== loadToken) return;
    docs = [];
    shownCollection = null;
    renderRows();
    const message = isNetworkError(err) ? NETWORK_MESSAGE : `${err.message}${err.detail ? ` (${err.detail})` : ""}`;
    showEmpty(`无法加载文档列表：${message} · Could not load the documents`, true);
  } finally {
    if (mine === loadToken) els.rows.setAttribute("aria-busy", "false");
  }
}

function sizeText(d) {
  const parts = [];
  if (Number.isFinite(d.chars)) parts.push(`${numbers.format(d.chars)} 字`);
  if (Number.isFinite(d.n_passages)) parts.push(`${numbers.format(d.n_passages)} 段`);
  return parts.join(" / ");
}

function sizeLabel(d) {
  const parts = [];
  if (Number.isFinite(d.chars)) parts.push(`${d.chars} characters`);
  if (Number.isFinite(d.n_passages)) parts.push(`${d.n_passages} passages`);
  return parts.join(", ");
}

function row(d, writable) {
  const date = formatDate(d.published);
  const open = h("button", { type: "button", class: "doc-open", dataset: { doc: d.id } }, d.title || d.id);
  const tr = h("tr", { class: fresh.has(d.id) ? "doc-row fresh" : "doc-row", dataset: { doc: d.id } },
    h("td", { class: "col-title" }, open, h("span", { class: "doc-id", text: d.id }),
      fresh.has(d.id) ? h("span", { class: "doc-badge", text: "新 · new" }) : null),
    h("td", { class: "col-source", "data-label": "来源 · Outlet", text: d.source || "—" }),
    h("td", { class: "col-date", "data-label": "日期 · Date" },
      date ? h("time", { datetime: date, text: date }) : "—"),
    h("td", { class: "col-collection", "data-label": "资料库 · Collection", text: collectionLabel(shownCollection) }),
    h("td", { class: "col-size", "data-label": "大小 · Size" },
      h("span", { "aria-hidden": "true", text: sizeText(d) }), h("span", { class: "visually-hidden", text: sizeLabel(d) })),
    writable ? h("td", { class: "col-actions" },
      h("button", { type: "button", class: "icon-btn doc-delete", dataset: { doc: d.id },
        "aria-label": `删除 · Delete: ${d.title || d.id}`, title: "删除 · Delete" }, trashIcon())) : null);
  return tr;
}

// A waste-bin icon, drawn like dom.js's icons.
function trashIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon", "icon-trash");
  for (const d of ["M4 6h12", "M8 6V4h4v2", "M5.5 6l.8 10.5h7.4L14.5 6", "M8.5 9v5M11.5 9v5"]) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

function matches(d, words) {
  const hay = `${d.title || ""}\n${d.source || ""}\n${d.id}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

function showEmpty(text, error = false) {
  els.empty.replaceChildren(...(error ? [icon("error")] : []), h("span", { text }));
  els.empty.classList.toggle("error", error);
  els.empty.hidden = false;
}

function renderRows() {
  const writable = Boolean(apiKey());
  const words = els.filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const shown = docs.filter((d) => matches(d, words));
  els.rows.replaceChildren(...shown.map((d) => row(d, writable)));
  els.table.hidden = shown.length === 0;
  els.empty.hidden = true;
  if (shownCollection === null) return;
  if (!docs.length) showEmpty("这个资料库还没有文档 · No documents in this collection yet");
  else if (!shown.length) showEmpty("没有符合筛选的文档 · No documents match the filter");
  els.count.textContent = words.length
    ? `显示 ${shown.length} / ${docs.length} 篇 · Showing ${shown.length} of ${docs.length}`
    : `共 ${docs.length} 篇 · ${docs.length} document${docs.length === 1 ? "" : "s"}`;
}

// After an upload: the new list, the indexed articles marked, cached copies of replaced ones dropped, and the
// chat's outlet and date lists (the new articles may bring new outlets).
function uploaded(ids) {
  const coll = currentCollection();
  for (const id of ids) forgetDocument(id, coll);
  fresh = new Set(ids);
  loadList();
  loadCollections();
  loadFacets();
}

// ------------------------------------------------------------------------------------------ delete

function askDelete(doc, opener) {
  pendingDelete = { doc, opener, collection: shownCollection };
  els.deleteName.textContent = doc.title || doc.id;
  els.deleteWhere.textContent = `${doc.id} · ${collectionLabel(shownCollection)}`;
  els.deleteError.hidden = true;
  els.deleteConfirm.disabled = false;
  els.dialog.showModal();
  els.deleteCancel.focus(); // the safe choice first
}

function closeDialog() {
  if (els.dialog.open) els.dialog.close();
}

// Focus goes back to the delete button, or (once its row is gone) to the filter box.
function afterDialog() {
  const p = pendingDelete;
  pendingDelete = null;
  if (!p) return;
  const target = p.opener && document.contains(p.opener) ? p.opener : els.filter;
  if (isDocumentsView()) target.focus();
}

async function confirmDelete() {
  const p = pendingDelete;
  if (!p) return;
  els.deleteConfirm.disabled = true;
  els.deleteError.hidden = true;
  try {
    const res = await fetch(`/api/documents/${encodeURIComponent(p.doc.id)}${query(p.collection)}`, {
      method: "DELETE", headers: { Accept: "application/json", ...authHeaders() },
    });
    if (res.ok || res.status === 404) { // 404: someone else deleted it first; either way it is gone
      forgetDocument(p.doc.id, p.collection);
      if (p.collection === shownCollection) {
        docs = docs.filter((d) => d.id !== p.doc.id);
        renderRows();
      }
      closeDialog();
      say(`已删除 · Deleted: ${p.doc.title || p.doc.id}`);
      loadList();
      loadCollections();
      loadFacets();
      return;
    }
    const problem = keyProblem(res.status);
    const err = await httpError(res);
    const text = problem === "wrong" ? WRONG_KEY_MESSAGE : problem === "disabled" ? WRITES_DISABLED_MESSAGE
      : `${err.message} (${err.detail})`;
    if (problem === "wrong") { // the view is read-only now: the key form opens with the message
      showStatusError(text);
      p.opener = els.keyInput;
      closeDialog();
      return;
    }
    els.deleteError.textContent = text;
    els.deleteError.hidden = false;
    els.deleteConfirm.disabled = false;
  } catch (err) {
    els.deleteError.textContent = isNetworkError(err) ? NETWORK_MESSAGE : String(err.message || err);
    els.deleteError.hidden = false;
    els.deleteConfirm.disabled = false;
  }
}

function showStatusError(text) {
  els.keyError.textContent = text;
  els.keyError.hidden = false;
  els.keyForm.hidden = false;
  els.keyOpen.hidden = true;
}

// ------------------------------------------------------------------------------------------ wiring

export function initDocuments() {
  els.toggle.addEventListener("click", () => showView(isDocumentsView() ? "chat" : "documents"));
  window.addEventListener("hashchange", () => showView(location.hash === "#documents" ? "documents" : "chat",
    { focus: false }));
  els.keyOpen.addEventListener("click", openKeyForm);
  els.keyCancel.addEventListener("click", closeKeyForm);
  els.keyForm.addEventListener("submit", submitKey);
  els.keyForm.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    e.stopPropagation(); // the source panel's Escape stays open
    closeKeyForm();
  });
  els.keyForget.addEventListener("click", () => {
    forgetApiKey();
    clearUploadStatus();
    say("已清除 API 密钥，现在是只读 · API key forgotten: the view is read-only");
    els.keyOpen.focus();
  });
  onApiKeyChange(renderKeyState);
  els.collection.addEventListener("change", pickCollection);
  els.composerCollection.addEventListener("change", followCollection);
  els.filter.addEventListener("input", renderRows);
  els.rows.addEventListener("click", (e) => {
    const target = e.target instanceof Element ? e.target : null;
    const del = target && target.closest(".doc-delete");
    const open = target && target.closest(".doc-open");
    const doc = (del || open) && docs.find((d) => d.id === (del || open).dataset.doc);
    if (!doc) return;
    if (del) askDelete(doc, del);
    else openDocument(doc.id, doc, open, shownCollection);
  });
  els.deleteCancel.addEventListener("click", closeDialog);
  els.deleteConfirm.addEventListener("click", confirmDelete);
  els.dialog.addEventListener("close", afterDialog);
  els.dialog.addEventListener("keydown", (e) => { if (e.key === "Escape") e.stopPropagation(); });
  initUpload(currentCollection, uploaded);
  renderKeyState();
  if (location.hash === "#documents") showView("documents", { focus: false });
}
