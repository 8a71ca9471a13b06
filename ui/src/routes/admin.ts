import type { RouteRecordRaw } from "vue-router";

/** The admin portal: /admin (dashboard) and one page per section, for site admins only (meta.siteAdmin: the
 * router answers everyone else with the 404 page, before the portal's chunk is ever fetched). */
export const ADMIN_SECTIONS = ["users", "repositories", "quotas", "invitations", "storage", "health"] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number] | "dashboard";

// One chunk: the portal imports its sections itself, so this is the only import of admin code.
const portal = () => import("../pages/admin/AdminPortal.vue");

export const adminRoutes: RouteRecordRaw[] = [
  { path: "/admin", component: portal, props: { section: "dashboard" }, meta: { siteAdmin: true } },
  {
    path: `/admin/:section(${ADMIN_SECTIONS.join("|")})`, component: portal, props: true,
    meta: { siteAdmin: true },
  },
  // Any other /admin/... path: not a user's repo (the name admin is reserved), and no page for anyone.
  { path: "/admin/:rest(.*)+", component: () => import("../pages/NotFoundPage.vue"), meta: { siteAdmin: true } },
];
