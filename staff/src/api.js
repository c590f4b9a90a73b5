// Calls to the service with the console's session cookie and CSRF token.
const csrf = () => (document.cookie.match(/(?:^|; )anxin_csrf=([^;]*)/) || [])[1] || "";

export class ApiError extends Error {
  constructor(status, message, detail) {
    super(message);
    this.status = status;
    this.detail = detail; // the body's detail when it is more than words (e.g. findings)
  }
}

function detail(body, status) {
  const d = body && body.detail;
  if (typeof d === "string") return d;
  if (d && typeof d === "object" && !Array.isArray(d) && d.message) return d.message;
  if (Array.isArray(d)) return d.map((e) => e.msg || JSON.stringify(e)).join("; ");
  return `HTTP ${status}`;
}

export async function api(path, { method = "GET", body, query } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === "") continue;
      if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
      else params.append(key, value);
    }
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  const options = { method, credentials: "same-origin", headers: {} };
  if (method !== "GET") options.headers["X-CSRF-Token"] = csrf();
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => null);
  // the session is gone (signed out elsewhere, the account disabled, its password reset)
  if (response.status === 401 && !path.startsWith("/console/api/")) signedOut();
  if (!response.ok) throw new ApiError(response.status, detail(data, response.status), data && data.detail);
  return data;
}

const endedListeners = new Set();
export function onSignedOut(listener) { endedListeners.add(listener); }
function signedOut() { endedListeners.forEach((listener) => listener()); }

// A socket to the service that keeps itself alive (a frame every ``every`` ms) and comes
// back 3 s after a drop, until ``close()``.
// Closed with 4401 (the session ended), it does not come back: ``onEnded`` is told.
export function liveSocket(path, { onFrame, onOpen, onState, onEnded, every = 25000 }) {
  let socket = null;
  let stopped = false;
  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const current = new WebSocket(`${scheme}://${location.host}${path}`);
    socket = current;
    const keepAlive = setInterval(() => current.readyState === 1 && current.send("ping"), every);
    current.onopen = () => {
      if (onState) onState(true);
      if (onOpen) onOpen();
    };
    current.onmessage = (event) => onFrame(JSON.parse(event.data));
    current.onclose = (event) => {
      clearInterval(keepAlive);
      if (onState) onState(false);
      if (event.code === 4401) {
        stopped = true;
        if (onEnded) onEnded(); else signedOut();
      }
      if (!stopped) setTimeout(open, 3000);
    };
  }
  open();
  return { close() { stopped = true; if (socket) socket.close(); } };
}
