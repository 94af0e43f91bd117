// The live events WebSocket (/api/v1/events): reconnects with back-off, pings to keep
// proxies from closing an idle socket, and reports close 4401 (bad token) once.

const CLOSE_UNAUTHORIZED = 4401;

export class EventStream {
  /**
   * @param {string} token   API token (sent in the query: browsers cannot set headers)
   * @param {object} opts    onEvent(msg), onStatus("connecting"|"open"|"closed"),
   *                         onUnauthorized(), types: "agent.,queue." (optional)
   */
  constructor(token, { onEvent, onStatus = () => {}, onUnauthorized = () => {}, types = "" } = {}) {
    Object.assign(this, { token, onEvent, onStatus, onUnauthorized, types });
    this.delay = 1000;
    this.stopped = false;
    this.ws = null;
    this.pinger = null;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const q = new URLSearchParams({ token: this.token });
    if (this.types) q.set("types", this.types);
    return `${scheme}://${location.host}/api/v1/events?${q}`;
  }

  start() {
    this.stopped = false;
    this.onStatus("connecting");
    const ws = this.ws = new WebSocket(this.url());
    ws.onopen = () => {
      this.delay = 1000;
      this.onStatus("open");
      this.pinger = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), 25000);
    };
    ws.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (msg.type === "pong") return;
      try { this.onEvent(msg); } catch (err) { console.warn("event handler failed", msg.type, err); }
    };
    ws.onclose = (e) => {
      clearInterval(this.pinger);
      this.onStatus("closed");
      if (this.stopped) return;
      if (e.code === CLOSE_UNAUTHORIZED) { this.onUnauthorized(); return; }
      setTimeout(() => !this.stopped && this.start(), this.delay);
      this.delay = Math.min(this.delay * 2, 15000);
    };
    return this;
  }

  stop() {
    this.stopped = true;
    clearInterval(this.pinger);
    if (this.ws) this.ws.close();
  }
}
