// Collection protocol: full screen, random dots, space captures the webcam frame.
"use strict";

const COLOURS = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
                 "#f032e6", "#000000", "#ffffff"];
const state = { measurement: null, target: 0, saved: 0, busy: false, dot: null, paused: false,
                running: false, starting: false, errors: 0, noFace: 0, camera: false };
window.gazelearnCollect = state;  // read by the end-to-end tests

const $ = (id) => document.getElementById(id);

function randomDot() {
  const w = window.innerWidth, h = window.innerHeight;
  const radius = 5 + Math.random() * 15;
  const margin = Math.max(radius + 4, 0.04 * Math.min(w, h));
  return { x: Math.round(margin + Math.random() * (w - 2 * margin)),
           y: Math.round(margin + Math.random() * (h - 2 * margin)),
           radius: Math.round(radius * 10) / 10,
           colour: COLOURS[Math.floor(Math.random() * COLOURS.length)] };
}

function showDot(dot) {
  const el = $("dot");
  el.style.left = `${dot.x}px`;
  el.style.top = `${dot.y}px`;
  el.style.width = el.style.height = `${2 * dot.radius}px`;
  el.style.background = dot.colour;
  el.hidden = false;
}

function message(text) {
  $("message").hidden = !text;
  $("message").textContent = text || "";
}

function status() {
  $("status").textContent = `measurement ${state.measurement}: dot ${state.saved + 1} of ` +
    `${state.target} — look at the dot, press space`;
}

function fullscreenRequired() { return GL.params.get("fullscreen") !== "off"; }

async function start() {
  if (state.running || state.starting) return;  // one measurement however often Start is pressed
  state.starting = true;
  GL.showError(null);
  try {
    if (!$("consent").checked) throw new Error("please read and tick the consent line first");
    const person = GL.person();
    const config = await GL.api("/api/config");
    const wanted = parseInt(GL.params.get("dots") || config.dots_per_measurement, 10);
    if (fullscreenRequired()) await GL.fullscreen();  // first: the click is the gesture
    await GL.startCamera($("video"));
    state.camera = true;
    const made = await GL.api("/api/measurements", { method: "POST", json: {
      person, consent: true, n_dots: wanted,
      screen: [window.innerWidth, window.innerHeight] } });
    Object.assign(state, { person, measurement: made.measurement, target: made.dots, saved: 0,
                           running: true });
    $("stage").classList.add("on");
    next();
  } catch (e) {
    GL.showError(e);
    GL.stopCamera($("video"));
    state.camera = false;
  } finally {
    state.starting = false;
  }
}

function next() {
  if (fullscreenRequired() && !GL.isFullscreen()) {
    state.paused = true;
    $("dot").hidden = true;
    message("Full screen is needed so the dot positions mean the same on every frame. " +
            "Press F (or F11) for full screen, then space to go on.");
    return;
  }
  state.paused = false;
  message("");
  state.dot = randomDot();
  showDot(state.dot);
  status();
}

async function captureDot() {
  if (state.busy || !state.running) return;
  if (state.paused) { next(); return; }
  state.busy = true;
  const dot = state.dot;
  try {
    const blob = await GL.capture($("video"), $("canvas"));
    const saved = await GL.api("/api/frames", { method: "POST", body: blob,
                                                contentType: "image/jpeg", query: {
      person: state.person, measurement: state.measurement, x: dot.x, y: dot.y,
      screen_w: window.innerWidth, screen_h: window.innerHeight, dot_radius: dot.radius,
      dot_color: dot.colour, client_time: Math.round(performance.now()) } });
    state.saved += 1;
    // kept, but flagged: the summary counts frames without a face
    if (saved.face === false) state.noFace += 1;
    if (state.saved >= state.target) { finish(); return; }
    next();
    if (saved.face === false) {
      message("No face was found in that picture (it is kept, flagged). Keep your face in " +
              "the camera's view.");
    }
  } catch (e) {
    state.errors += 1;
    message(`Not saved (${e.message}); press space to try this dot again.`);
  } finally {
    state.busy = false;
  }
}

function finish() {
  state.running = false;
  $("stage").classList.remove("on");
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  GL.stopCamera($("video"));  // the measurement is over: the camera goes off
  state.camera = false;
  $("done").textContent = `Measurement ${state.measurement} done: ${state.saved} frames saved ` +
    `for ${state.person}` + (state.noFace ? ` (${state.noFace} without a face, flagged)` : "") +
    `. Export it with: gazelearn collection export --person ${state.person}`;
  state.finished = true;
}

document.addEventListener("keydown", (event) => {
  if (!state.running) return;
  if (event.code === "Space") { event.preventDefault(); captureDot(); }
  else if (event.key === "f" || event.key === "F") { GL.fullscreen().then(() => next()); }
  else if (event.key === "Escape") {
    state.paused = true; $("dot").hidden = true;
    message("Paused. Press space to go on.");
  }
});
document.addEventListener("fullscreenchange", () => {
  if (state.running && fullscreenRequired() && !GL.isFullscreen()) next();
});
$("start").addEventListener("click", start);
