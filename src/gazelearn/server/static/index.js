// The start page: who has data so far, and deleting a person's data.
"use strict";
async function listPersons() {
  const box = document.getElementById("persons");
  try {
    const rows = await GL.api("/api/persons");
    box.textContent = rows.length ? "" : "nobody yet";
    for (const r of rows) {
      const line = document.createElement("div");
      line.textContent = `${r.person}: ${r.measurements} measurement(s), ${r.frames} frame(s)` +
        (r.no_face ? ` (${r.no_face} without a face)` : "") +
        (r.profile ? ", calibration profile saved" : "");
      box.appendChild(line);
    }
  } catch (e) { box.textContent = ""; GL.showError(e); }
}
document.getElementById("delete").addEventListener("click", async () => {
  try {
    const name = GL.person();
    if (!confirm(`Delete every frame, profile and session of ${name}?`)) return;
    const removed = await GL.api(`/api/persons/${name}`, { method: "DELETE" });
    GL.showError(null);
    alert(`Removed ${removed.frames} frame(s) and ${removed.files} file(s).`);
    listPersons();
  } catch (e) { GL.showError(e); }
});
listPersons();
