// The upload area of the documents view: files dropped on the view or chosen with the file picker go to
// POST /api/documents (multipart, field `files`, and `collection`) through XMLHttpRequest, whose upload events
// give the progress that fetch() cannot. Then the server indexes them (an indeterminate bar), and the page shows
// what was added, updated or left unchanged, and each file the server could not read, with its reason.

import { WRITES_DISABLED_MESSAGE, WRONG_KEY_MESSAGE, apiKey, authHeaders, keyProblem } from "./apikey.js";
import { $, h, icon } from "./dom.js";
import { NETWORK_MESSAGE } from "./errors.js";

const els = {
  view: $("documents"),
  zone: $("dropzone"),
  pick: $("file-pick"),
  input: $("file-input"),
  target: $("dropzone-collection"),
  box: $("upload-status"),
  label: $("upload-label"),
  bar: $("upload-progress"),
  result: $("upload-result"),
};
let busy = false;
let dragDepth = 0; // dragenter/dragleave pairs: leaving a child of the view is not leaving the view

// POST the files; resolves to {status, body (parsed JSON or null)}, rejects with a TypeError when the server
// cannot be reached. `onProgress({phase: "upload", loaded, total})`, then `{phase: "indexing"}` once sent.
export function sendFiles(files, collection, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const f of files) form.append("files", f, f.name);
    form.append("collection", collection || "default");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/documents");
    xhr.setRequestHeader("Accept", "application/json");
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress({ phase: "upload", loaded: e.loaded, total: e.total });
    });
    xhr.upload.addEventListener("load", () => onProgress({ phase: "indexing" }));
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener("error", () => reject(new TypeError("network error")));
    xhr.addEventListener("abort", () => reject(new TypeError("aborted")));
    xhr.send(form);
  });
}

function setProgress(p, count) {
  els.box.hidden = false;
  if (p.phase === "upload") {
    const pct = p.total ? Math.round((100 * p.loaded) / p.total) : 0;
    els.bar.value = pct;
    els.label.textContent = `正在上传 ${count} 个文件… ${pct}% · Uploading ${count} file(s)… ${pct}%`;
  } else if (p.phase === "indexing") {
    els.bar.removeAttribute("value"); // indeterminate: the server is reading and indexing the files
    els.label.textContent = "已上传，正在建立索引… · Uploaded, indexing…";
  } else if (p.phase === "done") {
    els.bar.value = 100;
    els.label.textContent = "完成 · Done";
  } else {
    els.bar.hidden = true; // failed: the message below says why
  }
}

function problemList(problems) {
  if (!Array.isArray(problems) || !problems.length) return null;
  return h("div", { class: "upload-problems" },
    h("p", { class: "upload-problems-title" }, icon("warn"),
      h("span", { text: `${problems.length} 个文件未能导入 · ${problems.length} file(s) not indexed` })),
    h("ul", {}, ...problems.map((p) => h("li", {},
      h("span", { class: "problem-file", text: (p && p.file) || "?" }),
      h("span", { class: "problem-reason", text: (p && p.reason) || "" })))));
}

function showResult(kind, title, detail, problems) {
  els.result.className = `upload-result ${kind}`;
  els.result.replaceChildren(...[
    h("p", { class: "upload-result-title" }, icon(kind === "ok" ? "doc" : kind === "warn" ? "warn" : "error"),
      h("span", { text: title })),
    detail ? h("p", { class: "upload-result-detail", text: detail }) : null,
    problemList(problems),
  ].filter(Boolean)); // replaceChildren, unlike h(), would show a null as the text "null"
}

// Upload `files` to `collection`; `done(indexedIds)` runs after a successful upload (the list then reloads).
async function upload(files, collection, done) {
  if (!files.length) return;
  if (busy) {
    showResult("warn", "上一次上传还没有完成 · An upload is still in progress");
    return;
  }
  busy = true;
  els.zone.classList.add("busy");
  els.zone.setAttribute("aria-busy", "true");
  els.pick.disabled = true;
  els.result.replaceChildren();
  els.bar.hidden = false;
  setProgress({ phase: "upload", loaded: 0, total: 1 }, files.length);
  try {
    const { status, body } = await sendFiles(files, collection, (p) => setProgress(p, files.length));
    if (status >= 200 && status < 300 && body) {
      const n = (k) => (Array.isArray(body[k]) ? body[k].length : 0);
      setProgress({ phase: "done" });
      const bad = n("problems");
      showResult(bad ? "warn" : "ok",
        `已导入 ${n("indexed")} 篇：新增 ${n("added")}，更新 ${n("updated")}，未变 ${n("unchanged")} · ` +
        `Indexed ${n("indexed")}: ${n("added")} added, ${n("updated")} updated, ${n("unchanged")} unchanged`,
        null, body.problems);
      done(Array.isArray(body.indexed) ? body.indexed : []);
      return;
    }
    setProgress({ phase: "failed" });
    const problem = keyProblem(status);
    const err = (body && body.error) || {};
    if (problem === "wrong") showResult("error", WRONG_KEY_MESSAGE, `HTTP ${status}`);
    else if (problem === "disabled") showResult("error", WRITES_DISABLED_MESSAGE, `HTTP ${status}`);
    else if (err.code === "nothing_indexed") {
      showResult("error", "没有导入任何文档 · Nothing was indexed", null,
        Array.isArray(body.problems) ? body.problems : [{ file: "", reason: err.message || "" }]);
    } else {
      showResult("error", err.message || `上传失败 · The upload failed`,
        `HTTP ${status}${err.code ? ` · ${err.code}` : ""}`, body && body.problems);
    }
  } catch {
    setProgress({ phase: "failed" });
    showResult("error", NETWORK_MESSAGE);
  } finally {
    busy = false;
    els.zone.classList.remove("busy");
    els.zone.setAttribute("aria-busy", "false");
    els.pick.disabled = false;
  }
}

const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");

// `collection()` names the chosen collection; `done(ids)` after an upload that indexed something.
export function initUpload(collection, done) {
  els.pick.addEventListener("click", () => els.input.click());
  els.input.addEventListener("change", () => {
    const files = Array.from(els.input.files || []);
    els.input.value = ""; // choosing the same file again uploads it again
    upload(files, collection(), done);
  });
  // The whole view takes drops (the upload area lights up); a file dropped while the view is read-only is
  // refused with a hint instead of the browser opening it in place of the page.
  els.view.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth += 1;
    if (apiKey()) els.zone.classList.add("dragging");
  });
  els.view.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy"; // a read-only view or a busy one still takes the drop, to say why not
  });
  els.view.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) els.zone.classList.remove("dragging");
  });
  els.view.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    els.zone.classList.remove("dragging");
    if (!apiKey()) {
      els.box.hidden = false;
      els.label.textContent = "";
      els.bar.hidden = true;
      showResult("warn", "输入 API 密钥后才能上传 · Enter the API key to upload");
      return;
    }
    upload(Array.from(e.dataTransfer.files || []), collection(), done);
  });
}

// The upload area shows when the key is known; it names the collection the files go to. The last upload's
// outcome stays (a 401 forgets the key and says so there).
export function showUploadArea(writable, collectionLabel) {
  els.zone.hidden = !writable;
  els.target.textContent = collectionLabel;
}

// Forget the last upload's outcome (the user forgot the key, or switched collections).
export function clearUploadStatus() {
  if (busy) return;
  els.box.hidden = true;
  els.result.replaceChildren();
}
