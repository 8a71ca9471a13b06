import type { RouteRecordRaw } from "vue-router";

/** Pages of one's own account: the router sends a signed-out visitor to /login and back (meta.signIn). */
export const SETTINGS_SECTIONS = ["profile", "password", "sessions", "tokens"] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];

export const accountRoutes: RouteRecordRaw[] = [
  { path: "/login", component: () => import("../pages/LoginPage.vue") },
  { path: "/join", component: () => import("../pages/JoinPage.vue") },
  { path: "/invite/:token", component: () => import("../pages/InvitePage.vue"), props: true },
  { path: "/settings", redirect: "/settings/profile" },
  {
    path: `/settings/:section(${SETTINGS_SECTIONS.join("|")})`,
    component: () => import("../pages/SettingsPage.vue"),
    props: true,
    meta: { signIn: true },
  },
];
