import type { RepoPage } from "./repo";

export const filePages: RepoPage[] = [
  { name: "blob", suffix: "/blob/:revision/:path(.*)+", component: () => import("../pages/FilePage.vue") },
];
