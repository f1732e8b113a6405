// Calibration, validation and live gaze over the /ws/gaze WebSocket.
"use strict";

const $ = (id) => document.getElementById(id);
const P = GL.params;
const settings = {
  framesPerTarget: parseInt(P.get("frames") || "6", 10),
  settleMs: parseInt(P.get("settle") || "700", 10),
  validation: parseInt(P.get("validation") || "5", 10),
  fps: parseFloat(P.get("fps") || "30"),
};
// read by the end-to-end tests
const state = { phase: "setup", sent: 0, acked: 0, faces: 0, gaze: 0, valid: 0, lastGaze: null,
                report: null, session: null, latencies: [], errors: [] };
window.gazelearnLive = state;

let socket = null, seq = 0;
const pending = new Map();  // seq -> resolve of frame replies
const waiters = [];         // [type, resolve, reject] of control replies

function connect() {
  return new Promise((resolve, reject) => {
    socket = new WebSocket(GL.wsUrl("/ws/gaze"));
    socket.binaryType = "arraybuffer";
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error("cannot connect to the gaze server"));
    socket.onclose = (event) => {
      if (state.phase !== "setup") GL.showError(`connection closed (${event.code} ${event.reason})`);
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

// One frame: 4-byte big-endian header length, JSON header, JPEG.
async function sendFrame(header) {
  const blob = await GL.capture($("video"), $("canvas"), 0.8);
  const image = new Uint8Array(await blob.arrayBuffer());
  header.seq = ++seq;
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

async function begin(loadProfile) {
  GL.showError(null);
  const person = GL.person();
  await GL.startCamera($("video"));
  await connect();
  const mm = [parseFloat($("screen_w_mm").value), parseFloat($("screen_h_mm").value)];
  const distance = parseFloat($("distance_mm").value);
  const known = mm.every((v) => v > 0) && distance > 0;
  return request({ type: "hello", person, load_profile: loadProfile, filter: $("filter").value,
                   screen: [window.innerWidth, window.innerHeight],
                   screen_mm: known ? mm : null, distance_mm: known ? distance : null },
                 "ready");
}

async function showTargets(phase, points) {
  for (let i = 0; i < points.length; i++) {
    const [x, y] = points[i];
    showDot(x, y, 14, phase === "calibration" ? "#ffffff" : "#ffe119");
    $("status").textContent = `${phase}: target ${i + 1} of ${points.length}`;
    await GL.sleep(settings.settleMs);
    for (let k = 0; k < settings.framesPerTarget; k++) {
      const reply = await sendFrame({ phase, target: i, t: performance.now() / 1000 });
      if (reply && reply.type === "frame") {
        state.acked += 1;
        if (reply.face) state.faces += 1;
      }
      await GL.sleep(1000 / settings.fps);
    }
  }
}

async function calibrate() {
  try {
    state.phase = "calibration";
    await begin(false);
    await GL.fullscreen();
    $("stage").classList.add("on");
    stageMessage("Look at each white dot, then at each yellow one.");
    await GL.sleep(800);
    stageMessage("");
    const targets = await request({ type: "calibrate", points: parseInt($("points").value, 10),
                                    validation: settings.validation }, "targets");
    await showTargets("calibration", targets.calibration);
    state.phase = "validation";
    await showTargets("validation", targets.validation);
    $("dot").hidden = true;
    stageMessage("Fitting...");
    const answer = await request({ type: "fit" }, "report");
    showReport(answer.report);
  } catch (e) {
    GL.showError(e);
  } finally {
    stageMessage("");
    $("stage").classList.remove("on");
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }
}

function showReport(report) {
  state.report = report;
  state.phase = "report";
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
  $("report-box").hidden = false;
}

async function reuse() {
  try {
    const ready = await begin(true);
    if (!ready.profile) throw new Error("no saved calibration for this person: calibrate first");
    if (ready.report && ready.report.accuracy_px !== undefined) showReport(ready.report);
    live();
  } catch (e) { GL.showError(e); }
}

async function live() {
  state.phase = "live";
  $("live-box").hidden = false;
  const gaze = $("gaze");
  const period = 1000 / settings.fps;
  while (state.phase === "live" && socket.readyState === WebSocket.OPEN) {
    const started = performance.now();
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
}

async function toggleRecord() {
  const on = $("record").textContent === "Record";
  await request({ type: "record", on }, "recording");
  $("record").textContent = on ? "Pause recording" : "Record";
}

async function stop() {
  try {
    state.phase = "stopping";
    await GL.sleep(100);
    const session = await request({ type: "stop" }, "session");
    state.session = session;
    $("gaze").style.display = "none";
    $("session-box").hidden = false;
    $("session-text").innerHTML = "";
    const link = document.createElement("a");
    link.href = GL.url(session.recording);
    link.textContent = "recording (CSV)";
    $("session-text").append(`${session.samples} samples (${session.valid} valid): `, link);
    if (session.heatmap) $("heatmap").src = GL.url(session.heatmap);
  } catch (e) { GL.showError(e); }
}

$("calibrate").addEventListener("click", calibrate);
$("reuse").addEventListener("click", reuse);
$("live").addEventListener("click", () => live());
$("record").addEventListener("click", () => toggleRecord().catch(GL.showError));
$("stop").addEventListener("click", stop);
