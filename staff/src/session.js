// The signed-in person, their notices, and two live feeds: ticket changes
// (/console/desk/ws) and the floor (/console/ws: presence while the app is open, the
// queue, offers, and the messages of the person's own chats).
import { defineStore } from "pinia";
import { api, liveSocket } from "./api.js";

export const useSession = defineStore("session", {
  state: () => ({
    me: null, loaded: false, notices: [], unread: 0, listeners: new Set(), socket: null,
    floor: null, status: "offline",
  }),
  actions: {
    async load() {
      try {
        const me = await api("/api/v1/desk/me");
        this.me = me;
        this.notices = me.notices;
        this.unread = me.unread;
        this.connect();
        this.connectFloor();
      } catch {
        this.me = null;
      }
      this.loaded = true;
    },
    async signIn(name, password) {
      await api("/console/api/login", { method: "POST", body: { name, password } });
      this.loaded = false;
      await this.load();
    },
    async changePassword(name, password, newPassword) {
      await api("/console/api/password", { method: "POST", body: { name, password, new_password: newPassword } });
      this.loaded = false;
      await this.load();
    },
    // The server ended this session (signed out elsewhere, disabled, password reset).
    ended() {
      const sockets = [this.socket, this.floor];
      this.socket = null;
      this.floor = null;
      this.me = null;
      this.loaded = true;
      sockets.forEach((s) => s && s.close());
    },
    async signOut() {
      try { await api("/console/api/logout", { method: "POST" }); } catch { /* already out */ }
      const sockets = [this.socket, this.floor];
      this.socket = null;
      this.floor = null;
      this.me = null;
      sockets.forEach((s) => s && s.close());
    },
    async refreshNotices() {
      const me = await api("/api/v1/desk/me");
      this.notices = me.notices;
      this.unread = me.unread;
    },
    async markRead() {
      if (!this.notices.length) return;
      await api("/api/v1/desk/notices/read", { method: "POST", body: { up_to: this.notices[0].id } });
      await this.refreshNotices();
    },
    on(listener) {
      this.listeners.add(listener);
      return () => this.listeners.delete(listener);
    },
    async setStatus(status) {
      const done = await api("/console/api/status", { method: "POST", body: { status } });
      this.status = done.status;
    },
    async readStatus() {
      this.status = (await api("/console/api/status")).status;
    },
    connectFloor() {
      if (this.floor) return;
      // the server counts a person on shift while frames keep coming (30 s)
      this.floor = liveSocket("/console/ws", {
        every: 10000,
        onEnded: () => this.ended(),
        onOpen: () => setTimeout(() => this.readStatus().catch(() => {}), 300),
        onFrame: (frame) => {
          if (frame.type === "offer" && this.me && frame.agent === this.me.name) alertOffer(frame);
          this.listeners.forEach((listener) => listener(frame));
        },
      });
    },
    connect() {
      if (this.socket) return;
      this.socket = liveSocket("/console/desk/ws", {
        onEnded: () => this.ended(),
        onFrame: (frame) => {
          if (frame.type === "mention") this.refreshNotices();
          this.listeners.forEach((listener) => listener(frame));
        },
      });
    },
  },
});

// An offered chat waits 30 seconds: a tone, and a desktop notification when allowed.
export function alertOffer(frame) {
  try {
    const audio = new (window.AudioContext || window.webkitAudioContext)();
    [0, 0.25].forEach((at) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.15;
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + at);
      tone.stop(audio.currentTime + at + 0.15);
    });
  } catch { /* no sound on this device */ }
  if (typeof Notification !== "undefined" && Notification.permission === "granted") {
    const zh = (localStorage.getItem("anxin.lang") || "zh") !== "en";
    new Notification(zh ? "新的会话请求" : "A chat is offered to you", {
      body: zh ? "30 秒内接入" : "Accept within 30 seconds", tag: `offer-${frame.handoff_id}`,
    });
  }
}
