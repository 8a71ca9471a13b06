import type { RouteRecordRaw } from "vue-router";

// Profiles: /{user} (a single segment: every site page's name is reserved for users), /organizations/{org}.
export const peopleRoutes: RouteRecordRaw[] = [
  { path: "/organizations/new", component: () => import("../pages/OrgNewPage.vue"), meta: { signIn: true } },
  { path: "/organizations/:org", component: () => import("../pages/OrgPage.vue"), props: true },
  { path: "/organizations/:org/settings", component: () => import("../pages/OrgSettingsPage.vue"), props: true,
    meta: { signIn: true } },
  { path: "/:username", component: () => import("../pages/UserPage.vue"), props: true },
];
