// Calibration, validation and live gaze over the /ws/gaze WebSocket (protocol: docs/server.md).
// Everything after "Calibrate" runs in full screen: the targets are laid out for the screen
// once full screen is entered (and again when the window changes), and live gaze is shown in
// the same screen.
"use strict";

const $ = (id) => document.getElementById(id);
const P = GL.params;
const num = (name, fallback) => (P.get(name) === null ? fallback : parseFloat(P.get(name)));
const settings = {
  framesPerTarget: num("frames", 6),   // frames kept per target once the eyes rest on it
  settleMs: num("settle", 400),        // at least this long after a target appears
  fixationMs: num("fixation", 300),    // the eye signal stable this long (server side)
  maxWaitMs: num("maxwait", 2500),     // then the frames are kept anyway
  validation: num("validation", 5),
  fps: num("fps", 30),
  pursuitS: num("pursuit", 25),        // length of the moving-target calibration
  previewOk: num("preview", 10),       // consecutive "ok" preview frames before calibrating
  maxErrorPct: num("max_error", null), // validation error (% of screen) above: refused
                                       // (null: the server's --max-validation-error-pct)
  driftFrames: num("drift_frames", 10),
};
const needFullscreen = P.get("fullscreen") !== "off";
// read by the end-to-end tests
const state = { phase: "setup", sent: 0, acked: 0, faces: 0, kept: 0, gaze: 0, valid: 0,
                lastGaze: null, report: null, session: null, latencies: [], errors: [],
                layouts: [], advice: [], loops: 0, maxLoops: 0, liveStarts: 0, clicks: [],
                drift: null, pursuitKept: 0, appearanceFrames: 0, camera: false, screen: null };
window.gazelearnLive = state;

let socket = null, seq = 0, stream = null, relayout = false;
const pending = new Map();  // seq -> resolve of frame replies
const waiters = [];         // [type, resolve, reject] of control replies
const queue = [];           // clicks and drift frames the live loop sends between live frames

$("pursuit-s").textContent = String(settings.pursuitS);

function connect() {
  if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket = new WebSocket(GL.wsUrl("/ws/gaze"));
    socket.binaryType = "arraybuffer";
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error("cannot connect to the gaze server"));
    socket.onclose = (event) => {
      if (state.phase !== "setup" && state.phase !== "done") {
        GL.showError(`connection closed (${event.code} ${event.reason})`);
      }
      for (const [, waiter] of pending) waiter(null);
      pending.clear();
    };
    socket.onmessage = (event) => onMessage(JSON.parse(event.data));
  });
}

function onMessage(message) {
  if (message.seq !== undefined && message.seq !== null && pending.has(message.seq)) {
    const resolve = pending.get(message.seq);
    pending.delete(message.seq);
    resolve(message);
    return;
  }
  if (message.type === "error") {
    state.errors.push(message.message);
    const waiter = waiters.shift();
    if (waiter) waiter[2](new Error(message.message)); else GL.showError(message.message);
    return;
  }
  const index = waiters.findIndex((w) => w[0] === message.type);
  if (index >= 0) waiters.splice(index, 1)[0][1](message);
}

function request(message, replyType) {
  return new Promise((resolve, reject) => {
    waiters.push([replyType, resolve, reject]);
    socket.send(JSON.stringify(message));
  });
}

// One frame: 4-byte big-endian header length, JSON header, JPEG. ``header.t`` left unset is
// the capture time (s, the page's clock).
async function sendFrame(header, t0 = 0) {
  const captured = performance.now();
  const blob = await GL.capture($("video"), $("canvas"), 0.8);
  const image = new Uint8Array(await blob.arrayBuffer());
  header.seq = ++seq;
  if (header.t === undefined) header.t = (captured - t0) / 1000;
  const head = new TextEncoder().encode(JSON.stringify(header));
  const data = new Uint8Array(4 + head.length + image.length);
  new DataView(data.buffer).setUint32(0, head.length, false);
  data.set(head, 4);
  data.set(image, 4 + head.length);
  const sentAt = performance.now();
  const reply = new Promise((resolve) => pending.set(header.seq, resolve));
  socket.send(data);
  state.sent += 1;
  const message = await reply;
  if (message) state.latencies.push(performance.now() - sentAt);
  return message;
}

function showDot(x, y, radius = 12, colour = "#ffffff") {
  const dot = $("dot");
  dot.style.left = `${x}px`;
  dot.style.top = `${y}px`;
  dot.style.width = dot.style.height = `${2 * radius}px`;
  dot.style.background = colour;
  dot.hidden = false;
}

function stageMessage(text) {
  $("message").hidden = !text;
  $("message").textContent = text || "";
}

function panel(id) {  // one panel of the stage at a time
  for (const name of ["preview-box", "report-box", "live-box"]) $(name).hidden = name !== id;
}

function screenSize() { return [window.innerWidth, window.innerHeight]; }

async function enterStage() {
  if (needFullscreen) await GL.fullscreen();
  $("stage").classList.add("on");
}

function leaveStage() {
  $("stage").classList.remove("on", "live");
  $("dot").hidden = true;
  $("gaze").style.display = "none";
  panel(null);
  stageMessage("");
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
}

function cameraOff() {
  GL.stopCamera($("video"));
  stream = null;
  state.camera = false;
}

async function begin(loadProfile) {
  GL.showError(null);
  const person = GL.person();
  if (!stream) {
    stream = await GL.startCamera($("video"));
    state.camera = true;
  }
  await connect();
  const mm = [parseFloat($("screen_w_mm").value), parseFloat($("screen_h_mm").value)];
  const distance = parseFloat($("distance_mm").value);
  const known = mm.every((v) => v > 0) && distance > 0;
  state.screen = screenSize();
  return request({ type: "hello", person, load_profile: loadProfile, filter: $("filter").value,
                   screen: state.screen, screen_mm: known ? mm : null,
                   distance_mm: known ? distance : null }, "ready");
}

// Face position before calibration: mirrored preview and the server's advice.
async function preview() {
  state.phase = "preview";
  panel("preview-box");
  let ok = 0, go = false;
  const start = () => { go = true; };
  $("go").addEventListener("click", start, { once: true });
  while (!go && (settings.previewOk <= 0 || ok < settings.previewOk)) {
    const started = performance.now();
    const reply = await sendFrame({ phase: "preview" });
    if (!reply) throw new Error("the gaze server did not answer");
    if (reply.type === "face") {
      state.advice.push(reply.advice);
      ok = reply.advice === "ok" ? ok + 1 : 0;
      $("advice").textContent = reply.advice === "ok" ? "ok: keep still" : reply.advice;
      $("advice").className = "advice " + (reply.advice === "ok" ? "good" : "bad");
    }
    await GL.sleep(Math.max(0, 1000 / settings.fps - (performance.now() - started)));
  }
  $("go").removeEventListener("click", start);
  panel(null);
}

class Relayout extends Error {}

async function waitForFullscreen() {
  while (needFullscreen && !GL.isFullscreen()) {
    stageMessage("The calibration runs in full screen: press F (or F11).");
    await GL.sleep(200);
  }
  stageMessage("");
}

// Targets of one phase: each shown for the settle time, then frames until the server has
// kept enough of them (it keeps them once the eyes rest on the target).
async function showTargets(phase, points) {
  const cap = settings.framesPerTarget + Math.ceil(settings.maxWaitMs / 1000 * settings.fps) + 15;
  for (let i = 0; i < points.length; i++) {
    const [x, y] = points[i];
    showDot(x, y, 14, phase === "calibration" ? "#ffffff" : "#ffe119");
    $("status").textContent = `${phase}: target ${i + 1} of ${points.length}`;
    await GL.sleep(settings.settleMs);
    const shown = performance.now();
    for (let k = 0; k < cap; k++) {
      if (relayout) throw new Relayout();
      const started = performance.now();
      const reply = await sendFrame({ phase, target: i }, shown);
      if (!reply) throw new Error("the gaze server did not answer");
      if (reply.type === "frame") {
        state.acked += 1;
        if (reply.face) state.faces += 1;
        if (reply.kept) state.kept += 1;
        if (reply.done) break;
      }
      await GL.sleep(Math.max(0, 1000 / settings.fps - (performance.now() - started)));
    }
  }
}

// The moving target: the path (sampled at rate_hz) from the server, drawn by the animation
// frame clock; every frame sent says how long after the start it was captured.
async function pursuit(path) {
  state.phase = "pursuit";
  const points = path.path, rate = path.rate_hz;
  const at = (seconds) => {
    const f = Math.min(points.length - 1, Math.max(0, seconds * rate));
    const i = Math.floor(f), j = Math.min(points.length - 1, i + 1), w = f - i;
    return [points[i][0] * (1 - w) + points[j][0] * w, points[i][1] * (1 - w) + points[j][1] * w];
  };
  $("status").textContent = "follow the moving dot";
  const [x0, y0] = at(0);
  showDot(x0, y0, 14, "#ffffff");
  await GL.sleep(settings.settleMs);
  const t0 = performance.now();
  let running = true;
  const draw = () => {
    if (!running) return;
    const [x, y] = at((performance.now() - t0) / 1000);
    showDot(x, y, 14, "#ffffff");
    requestAnimationFrame(draw);
  };
  requestAnimationFrame(draw);
  try {
    while ((performance.now() - t0) / 1000 < path.duration_s) {
      if (relayout) throw new Relayout();
      const started = performance.now();
      const reply = await sendFrame({ phase: "pursuit" }, t0);
      if (!reply) throw new Error("the gaze server did not answer");
      if (reply.type === "frame") {
        state.acked += 1;
        if (reply.face) state.faces += 1;
        if (reply.kept) state.pursuitKept += 1;
      }
      await GL.sleep(Math.max(0, 1000 / settings.fps - (performance.now() - started)));
    }
  } finally {
    running = false;
  }
}

async function runCalibration() {
  for (let attempt = 0; ; attempt++) {
    relayout = false;
    state.pursuitKept = 0;  // a new calibration: its own pursuit frames only
    await waitForFullscreen();
    state.phase = "calibration";
    const screen = screenSize();
    const targets = await request({
      type: "calibrate", points: parseInt($("points").value, 10), screen,
      validation: settings.validation, frames: settings.framesPerTarget,
      fixation_ms: settings.fixationMs, max_wait_ms: settings.maxWaitMs,
      pursuit_s: $("pursuit").checked ? settings.pursuitS : 0 }, "targets");
    state.screen = targets.screen;
    state.layouts.push({ screen, fullscreen: Boolean(document.fullscreenElement),
                         calibration: targets.calibration, validation: targets.validation });
    try {
      await showTargets("calibration", targets.calibration);
      if (targets.pursuit) await pursuit(targets.pursuit);
      state.phase = "validation";
      await showTargets("validation", targets.validation);
      return;
    } catch (e) {
      if (!(e instanceof Relayout) || attempt >= 5) throw e;
      $("dot").hidden = true;
      stageMessage("The window changed: the targets start again.");
      await GL.sleep(600);
      stageMessage("");
    }
  }
}

async function calibrate() {
  try {
    if (state.phase === "live") await stopLive();
    state.phase = "starting";
    await enterStage();  // first, while the click still counts as a user gesture
    panel(null);
    stageMessage("Starting the camera...");
    const ready = await begin(false);
    // the server's own threshold (gazelearn server --appearance-frames; 0: never)
    state.appearanceFrames = ready.appearance_frames || 0;
    stageMessage("");
    await preview();
    await runCalibration();
    $("dot").hidden = true;
    // with a pursuit's frames the server also trains eye-image networks: a few minutes
    stageMessage(state.appearanceFrames > 0 && state.pursuitKept >= state.appearanceFrames
      ? "Fitting: training the eye-image networks on your frames (a few minutes)..."
      : "Fitting...");
    const fit = { type: "fit" };
    if (settings.maxErrorPct !== null) fit.max_error_pct = settings.maxErrorPct;
    const answer = await request(fit, "report");
    stageMessage("");
    showReport(answer.report, answer.profile_saved);
  } catch (e) {
    GL.showError(e);
    state.phase = "setup";
    leaveStage();
    cameraOff();
  }
}

function showReport(report, saved) {
  state.report = report;
  state.phase = "report";
  $("status").textContent = "";
  const rows = [["accuracy (mean error)", `${report.accuracy_px} px`,
                 `${report.accuracy_pct} % of screen`,
                 report.accuracy_deg == null ? "degrees: give screen size and distance"
                   : `${report.accuracy_deg} deg`],
                ["precision (RMS-S2S)", `${report.precision_px} px`,
                 `${report.precision_pct} % of screen`,
                 report.precision_deg == null ? "" : `${report.precision_deg} deg`],
                ["targets / frames", report.n_targets, report.n_samples, ""]];
  $("report").innerHTML = "";
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const cell of row) {
      const td = document.createElement("td");
      td.textContent = cell;
      tr.appendChild(td);
    }
    $("report").appendChild(tr);
  }
  const refused = report.accepted === false;
  $("verdict").className = refused ? "error" : "good";
  $("verdict").textContent = refused
    ? `Calibration refused: the mean error is ${report.accuracy_pct} % of the screen, over the ` +
      `${report.max_error_pct} % limit, so it was not saved. Recalibrate (sit still, look at ` +
      "the centre of each dot), or track with it anyway."
    : (report.accepted ? `Calibration ok (under ${report.max_error_pct} % of the screen)` +
       (saved ? " and saved." : ".") : "");
  $("live").textContent = refused ? "Track anyway" : "Start live tracking";
  panel("report-box");
}

async function reuse() {
  try {
    state.phase = "starting";
    await enterStage();
    const ready = await begin(true);
    if (!ready.profile) throw new Error("no saved calibration for this person: calibrate first");
    state.report = ready.report || {};
    live();
  } catch (e) {
    GL.showError(e);
    state.phase = "setup";
    leaveStage();
    cameraOff();
  }
}

// The one live loop: pressing Start again while it runs does nothing.
async function live() {
  state.liveStarts += 1;
  if (state.loops > 0) return;
  state.loops += 1;
  state.maxLoops = Math.max(state.maxLoops, state.loops);
  try {
    await enterStage();
    state.phase = "live";
    $("stage").classList.add("live");
    panel("live-box");
    if (String(screenSize()) !== String(state.screen)) await sendScreen();
    const gaze = $("gaze");
    const period = 1000 / settings.fps;
    while (state.phase === "live" && socket.readyState === WebSocket.OPEN) {
      const started = performance.now();
      if (needFullscreen && !GL.isFullscreen()) {
        gaze.style.display = "none";
        stageMessage("Live tracking runs in full screen: press F (or F11).");
        await GL.sleep(200);
        continue;
      }
      stageMessage(state.drift && state.drift.running ? "Look at the dot." : "");
      if (queue.length) {
        await queue.shift()();
        continue;
      }
      const message = await sendFrame({ phase: "live", t: started / 1000 });
      if (message && message.type === "gaze") {
        state.gaze += 1;
        state.lastGaze = message;
        if (message.valid) {
          state.valid += 1;
          gaze.style.left = `${message.x}px`;
          gaze.style.top = `${message.y}px`;
          gaze.style.display = "block";
        } else {
          gaze.style.display = "none";
        }
        const recent = state.latencies.slice(-30);
        const mean = recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length);
        $("live-status").textContent = `${state.gaze} gaze samples, round trip ` +
          `${mean.toFixed(1)} ms` + (message.blink ? ", blink" : "") +
          (message.face ? "" : ", no face");
      }
      await GL.sleep(Math.max(0, period - (performance.now() - started)));
    }
  } finally {
    state.loops -= 1;
  }
}

async function sendScreen() {
  const answer = await request({ type: "screen", screen: screenSize() }, "screen");
  state.screen = answer.screen;
}

// A click during live tracking: a frame labelled with the click's position (WebGazer's
// click calibration), sent by the live loop between its frames.
function onStageClick(event) {
  if (state.phase !== "live" || event.target.closest("button, .bar")) return;
  const x = event.clientX, y = event.clientY;
  queue.push(async () => {
    const reply = await sendFrame({ phase: "click", x, y });
    if (reply && reply.type === "click") {
      state.clicks.push(reply);
      $("correction").textContent = reply.kept
        ? `click ${reply.n_clicks}: ${reply.refit === "mapper" ? "refitted" : "offset moved"}`
        : "click: no face in that frame";
    }
  });
}

// Drift check: one target in the centre, frames on it, the mapping moved by the offset.
async function driftCheck() {
  if (state.phase !== "live" || (state.drift && state.drift.running)) return;
  const [w, h] = screenSize();
  state.drift = { running: true };
  queue.push(async () => {
    try {
      await request({ type: "drift", target: [w / 2, h / 2] }, "drift");
      showDot(w / 2, h / 2, 14, "#ffffff");
      await GL.sleep(settings.settleMs + settings.fixationMs);
      for (let k = 0; k < settings.driftFrames; k++) await sendFrame({ phase: "drift" });
      const result = await request({ type: "drift", apply: true }, "drift");
      state.drift = { running: false, ...result };
      $("correction").textContent = `drift check: ${result.error_px.toFixed(0)} px off, corrected`;
    } catch (e) {
      state.drift = { running: false, error: String(e.message || e) };
      $("correction").textContent = `drift check failed: ${state.drift.error}`;
    } finally {
      $("dot").hidden = true;
    }
  });
}

async function toggleRecord() {
  const on = $("record").textContent === "Record";
  await request({ type: "record", on }, "recording");
  $("record").textContent = on ? "Pause recording" : "Record";
}

async function stopLive() {
  state.phase = "stopping";
  for (let i = 0; i < 100 && state.loops > 0; i++) await GL.sleep(20);
}

// The end of a measurement: the session written, the camera off, full screen left.
async function stop() {
  try {
    await stopLive();
    const session = await request({ type: "stop" }, "session");
    state.session = session;
    $("session-box").hidden = false;
    $("session-text").innerHTML = "";
    const links = [["recording (CSV)", session.recording],
                   ["its screen and person (JSON)", session.sidecar]];
    $("session-text").append(`${session.samples} samples (${session.valid} valid): `);
    for (const [text, href] of links) {
      const link = document.createElement("a");
      link.href = GL.url(href);
      link.textContent = text;
      $("session-text").append(link, " ");
    }
    if (session.heatmap) $("heatmap").src = GL.url(session.heatmap);
  } catch (e) { GL.showError(e); }
  finally {
    state.phase = "done";
    leaveStage();
    cameraOff();
    $("record").textContent = "Record";
  }
}

function close() {
  state.phase = "done";
  leaveStage();
  cameraOff();
}

// A window that changes size mid-calibration lays the targets out again; during live
// tracking the server is told the new size (gaze comes back in its coordinates).
window.addEventListener("resize", () => {
  if (["calibration", "validation", "pursuit"].includes(state.phase)) relayout = true;
  else if (state.phase === "live" && socket && socket.readyState === WebSocket.OPEN) {
    queue.push(sendScreen);
  }
});
document.addEventListener("keydown", (event) => {
  if ((event.key === "f" || event.key === "F") && state.phase !== "setup") GL.fullscreen();
});
$("calibrate").addEventListener("click", calibrate);
$("recalibrate").addEventListener("click", calibrate);
$("reuse").addEventListener("click", reuse);
$("live").addEventListener("click", () => live().catch(GL.showError));
$("record").addEventListener("click", () => toggleRecord().catch(GL.showError));
$("drift").addEventListener("click", driftCheck);
$("stop").addEventListener("click", stop);
$("close").addEventListener("click", close);
$("stage").addEventListener("click", onStageClick);
