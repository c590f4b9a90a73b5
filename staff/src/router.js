import { createRouter, createWebHistory } from "vue-router";
import { useSession } from "./session.js";

const routes = [
  { path: "/", redirect: "/tickets" },
  { path: "/sign-in", component: () => import("./views/SignIn.vue"), meta: { open: true } },
  { path: "/tickets", component: () => import("./views/TicketList.vue") },
  { path: "/tickets/:number", component: () => import("./views/TicketPage.vue"), props: true },
  { path: "/revisits", component: () => import("./views/RevisitList.vue") },
  { path: "/chats", component: () => import("./views/ChatConsole.vue") },
  { path: "/targets", component: () => import("./views/ServiceTargets.vue"), meta: { supervisor: true } },
  { path: "/review", component: () => import("./views/ConversationReview.vue"), meta: { supervisor: true } },
  { path: "/floor", component: () => import("./views/LiveFloor.vue"), meta: { supervisor: true } },
  { path: "/canned", component: () => import("./views/CannedReplies.vue"), meta: { supervisor: true } },
  { path: "/kb", component: () => import("./views/KnowledgeBase.vue") },
  { path: "/shifts", component: () => import("./views/ShiftCalendar.vue") },
  { path: "/rules", component: () => import("./views/QualityRules.vue"), meta: { supervisor: true } },
  { path: "/appeals", component: () => import("./views/QualityAppeals.vue"), meta: { supervisor: true } },
  { path: "/my-scores", component: () => import("./views/MyScores.vue") },
  { path: "/settings", component: () => import("./views/ServiceSettings.vue"), meta: { admin: true } },
  { path: "/audit", component: () => import("./views/AuditTrail.vue"), meta: { supervisor: true } },
  { path: "/people", component: () => import("./views/PeopleAdmin.vue"), meta: { admin: true } },
  { path: "/tokens", component: () => import("./views/ApiTokens.vue"), meta: { admin: true } },
  { path: "/privacy", component: () => import("./views/PrivacyAdmin.vue"), meta: { admin: true } },
  { path: "/:rest(.*)*", redirect: "/tickets" },
];

export const router = createRouter({ history: createWebHistory("/console/app/"), routes });

router.beforeEach(async (to) => {
  const session = useSession();
  if (!session.loaded) await session.load();
  if (!to.meta.open && !session.me) return { path: "/sign-in", query: { next: to.fullPath } };
  if (to.meta.supervisor && !["supervisor", "admin"].includes(session.me.role)) return { path: "/tickets" };
  if (to.meta.admin && session.me.role !== "admin") return { path: "/tickets" };
  return true;
});
