// Shared by the pages: the token, API calls, the webcam, JPEG capture, full screen.
"use strict";

const GL = (() => {
  const params = new URLSearchParams(location.search);
  if (params.get("token")) sessionStorage.setItem("gazelearn-token", params.get("token"));
  const token = params.get("token") || sessionStorage.getItem("gazelearn-token") || "";

  function url(path, query = {}) {
    const u = new URL(path, location.href);
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
    }
    if (token) u.searchParams.set("token", token);
    return u.toString();
  }

  function wsUrl(path) {
    const u = new URL(url(path));
    u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    return u.toString();
  }

  async function api(path, { method = "GET", query = {}, json, body, contentType } = {}) {
    const init = { method, headers: {} };
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers["Content-Type"] = "application/json";
    } else if (body !== undefined) {
      init.body = body;
      init.headers["Content-Type"] = contentType || "application/octet-stream";
    }
    const response = await fetch(url(path, query), init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
    return data;
  }

  async function startCamera(video) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("this browser gives no camera access (use http://127.0.0.1 or https)");
    }
    const stream = await navigator.mediaDevices.getUserMedia(
      { video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    video.srcObject = stream;
    video.muted = true;
    await video.play();
    for (let i = 0; i < 100 && !video.videoWidth; i++) await sleep(20);
    if (!video.videoWidth) throw new Error("the camera gives no picture");
    return stream;
  }

  // The camera off: every track stopped (the browser's camera light goes out).
  function stopCamera(video) {
    const stream = video && video.srcObject;
    if (stream) for (const track of stream.getTracks()) track.stop();
    if (video) video.srcObject = null;
  }

  // The current camera picture as a JPEG Blob (the frame the user sees at this moment).
  function capture(video, canvas, quality = 0.85) {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) => canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("capture failed"))), "image/jpeg",
      quality));
  }

  async function fullscreen() {
    if (!document.fullscreenElement && document.documentElement.requestFullscreen) {
      try { await document.documentElement.requestFullscreen(); } catch (e) { /* refused */ }
    }
    return isFullscreen();
  }

  // Full screen through the API, or the browser's own (F11) when the window fills the screen.
  function isFullscreen() {
    return Boolean(document.fullscreenElement) ||
      (window.innerWidth >= screen.width && window.innerHeight >= screen.height);
  }

  function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

  function person() {
    const field = document.getElementById("person");
    const name = (field && field.value.trim()) || params.get("person") || "";
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) {
      throw new Error("enter a person name: letters, digits, '_' or '-'");
    }
    return name;
  }

  // Only the URL's ?person= fills the field: the previous participant's name is never
  // remembered (the next person would record under it).
  function fillPerson() {
    localStorage.removeItem("gazelearn-person");  // what older versions remembered
    const field = document.getElementById("person");
    if (field) field.value = params.get("person") || "";
  }

  function showError(error) {
    const box = document.getElementById("error");
    if (box) box.textContent = error ? String(error.message || error) : "";
    if (error) console.error(error);
  }

  return { params, token, url, wsUrl, api, startCamera, stopCamera, capture, fullscreen,
           isFullscreen, sleep, person, fillPerson, showError };
})();

document.addEventListener("DOMContentLoaded", () => {
  GL.fillPerson();
  for (const a of document.querySelectorAll("a[data-keep-token]")) {
    if (GL.token) a.href = GL.url(a.getAttribute("href"));
  }
});
