// Vendor space: import offers and stock from a CSV file. The file is uploaded (base64 in JSON), the import runs
// through a queue in chunks, and this section polls it: a progress bar (rows done of total), then the rows
// that failed with a link to the error report (row, column, message). Past imports are listed below.

import { API_BASE, ApiError, request } from "../../api.js";
import { announce, el, mount, uniqueId } from "../../dom.js";
import { getSession } from "../../session.js";
import { signInHref } from "../guard.js";
import { formatDateTime, t } from "../../i18n.js";

const POLL_MS = 1000;
const MAX_FILE_BYTES = 5 * 1024 * 1024; // the API's limit (chalicelib/domain/imports.py)

const uploadImport = (body, options) => request("POST", "/vendor/imports", { ...options, auth: true, body });
const fetchImport = (id, options) => request("GET", `/vendor/imports/${encodeURIComponent(id)}`, { ...options, auth: true });
const fetchImports = (query, options) => request("GET", "/vendor/imports", { ...options, auth: true, query });

function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(new ApiError({ code: "file_unreadable", message: t("imports.unreadable") }));
    reader.readAsDataURL(file);
  });
}

/** The error report is behind the vendor's token: fetched, then handed to the browser as a download. */
async function downloadErrorReport(job) {
  await fetchImport(job.import_id); // refreshes an expired session before the raw fetch below
  const session = getSession();
  const response = await fetch(`${API_BASE}/vendor/imports/${encodeURIComponent(job.import_id)}/errors.csv`, {
    headers: { Authorization: `Bearer ${session.access_token}` },
  });
  if (!response.ok) throw new ApiError({ status: response.status, message: t("imports.reportFailed") });
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: `${job.file_name.replace(/\.csv$/i, "") || "import"}-errors.csv`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function statusLabel(job) {
  if (job.status === "done") {
    return job.rows_failed
      ? t("imports.donePartial", { imported: job.rows_imported, total: job.rows_total, failed: job.rows_failed })
      : t("imports.doneAll", { total: job.rows_total });
  }
  return job.status === "queued" ? t("imports.queued", { total: job.rows_total }) : t("imports.importing", { done: job.rows_done, total: job.rows_total });
}

export const importsSection = {
  id: "imports",
  label: "Imports",
  render(panel) {
    const controller = new AbortController();
    let timer = null;
    const fileId = uniqueId("import-file");
    const file = el("input", { id: fileId, type: "file", accept: ".csv,text/csv", "data-testid": "import-file", required: true });
    const submit = el("button", { type: "submit", class: "button", "data-testid": "import-submit" }, t("imports.import"));
    const error = el("p", { class: "form-error", role: "alert", "data-testid": "import-error" });
    const current = el("div", { class: "import-current", "data-testid": "import-current", "aria-live": "polite" });
    const pastBody = el("tbody");
    const pastStatus = el("p", { class: "result-status", "data-testid": "imports-status", text: t("imports.loading") });
    const form = el("form", { class: "import-form", novalidate: true },
      el("div", { class: "field" },
        el("label", { for: fileId, text: t("imports.csvLabel") }),
        file,
        el("p", { class: "field-hint" },
          t("imports.columns"))),
      submit, error);
    mount(panel,
      el("h2", { text: t("imports.title") }),
      form, current,
      el("h3", { text: t("imports.past") }),
      pastStatus,
      el("div", { class: "table-scroll" },
        el("table", { class: "data-table", "data-testid": "imports-table" },
          el("thead", {}, el("tr", {}, [t("imports.file"), t("imports.started"), t("imports.status"), t("imports.rows"), t("imports.failed"), t("imports.errorReport")]
            .map((h) => el("th", { scope: "col", text: h })))),
          pastBody)));
    form.addEventListener("submit", (event) => { event.preventDefault(); start(); });
    loadPast();
    return { cleanup: () => { controller.abort(); window.clearTimeout(timer); } };

    function showError(err) {
      if (err.name === "AbortError") return;
      if (err instanceof ApiError && err.status === 401) mount(error, t("common.sessionEnded"), " ", el("a", { href: signInHref(), text: t("common.signInAgain") }));
      else error.textContent = Object.values(err.fields || {})[0] ? `${err.message} (${Object.values(err.fields)[0]})` : err.message;
    }

    async function start() {
      error.textContent = "";
      const chosen = file.files && file.files[0];
      if (!chosen) { error.textContent = t("imports.chooseFile"); file.focus(); return; }
      if (chosen.size > MAX_FILE_BYTES) { error.textContent = t("imports.tooLarge"); return; }
      submit.disabled = true;
      try {
        const job = await uploadImport({ file_name: chosen.name, content_base64: await base64Of(chosen) }, { signal: controller.signal });
        announce(job.status === "done" ? t("imports.already") : t("imports.startedAnnounce"));
        follow(job);
      } catch (err) {
        showError(err);
      } finally {
        submit.disabled = false;
      }
    }

    function follow(job) {
      window.clearTimeout(timer);
      const percent = job.rows_total ? Math.round((job.rows_done / job.rows_total) * 100) : 100;
      const bar = el("div", { class: "progress", role: "progressbar", "data-testid": "import-progress",
        "aria-label": t("imports.importOf", { file: job.file_name }), "aria-valuemin": "0", "aria-valuemax": String(job.rows_total),
        "aria-valuenow": String(job.rows_done), "aria-valuetext": `${job.rows_done} of ${job.rows_total} rows` },
      el("div", { class: "progress-fill", style: `width: ${percent}%` }));
      mount(current,
        el("p", { "data-testid": "import-status", "data-status": job.status, text: `${job.file_name}: ${statusLabel(job)}` }),
        bar,
        job.status === "done" && job.rows_failed ? reportButton(job, t("imports.download")) : null);
      if (job.status === "done") { loadPast(); return; }
      timer = window.setTimeout(async () => {
        try { follow(await fetchImport(job.import_id, { signal: controller.signal })); } catch (err) { showError(err); }
      }, POLL_MS);
    }

    function reportButton(job, text) {
      return el("button", { type: "button", class: "button button-quiet", "data-testid": "import-error-report",
        onclick: () => downloadErrorReport(job).catch(showError) }, text);
    }

    async function loadPast() {
      try {
        const page = await fetchImports({ limit: 20 }, { signal: controller.signal });
        mount(pastBody, page.items.map((job) => el("tr", { "data-testid": "import-row", "data-import-id": job.import_id },
          el("th", { scope: "row", text: job.file_name }),
          el("td", { text: formatDateTime(job.created_at) }),
          el("td", { text: job.status }),
          el("td", { class: "num", text: `${job.rows_done} / ${job.rows_total}` }),
          el("td", { class: "num", text: String(job.rows_failed) }),
          el("td", {}, job.rows_failed ? reportButton(job, t("imports.errorsCsv")) : "—"))));
        pastStatus.textContent = page.items.length ? "" : t("imports.none");
        const running = page.items.find((job) => job.status !== "done");
        if (running && !current.children.length) follow(running);
      } catch (err) {
        pastStatus.textContent = "";
        showError(err);
      }
    }
  },
};
