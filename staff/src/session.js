// The signed-in person, their notices, and the live feed of ticket changes.
import { defineStore } from "pinia";
import { api } from "./api.js";

export const useSession = defineStore("session", {
  state: () => ({ me: null, loaded: false, notices: [], unread: 0, listeners: new Set(), socket: null }),
  actions: {
    async load() {
      try {
        const me = await api("/api/v1/desk/me");
        this.me = me;
        this.notices = me.notices;
        this.unread = me.unread;
        this.connect();
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
    async signOut() {
      try { await api("/console/api/logout", { method: "POST" }); } catch { /* already out */ }
      if (this.socket) this.socket.close();
      this.socket = null;
      this.me = null;
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
    connect() {
      if (this.socket) return;
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const socket = new WebSocket(`${scheme}://${location.host}/console/desk/ws`);
      this.socket = socket;
      const keepAlive = setInterval(() => socket.readyState === 1 && socket.send("ping"), 25000);
      socket.onmessage = (event) => {
        const frame = JSON.parse(event.data);
        if (frame.type === "mention") this.refreshNotices();
        this.listeners.forEach((listener) => listener(frame));
      };
      socket.onclose = () => {
        clearInterval(keepAlive);
        if (this.socket === socket) {
          this.socket = null;
          if (this.me) setTimeout(() => this.connect(), 3000);
        }
      };
    },
  },
});
