import type { RepoPage } from "./repo";

export const repoSettingsPages: RepoPage[] = [
  { name: "settings", suffix: "/settings", component: () => import("../pages/RepoSettingsPage.vue") },
];
