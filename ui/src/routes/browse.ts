import type { RouteRecordRaw } from "vue-router";
import type { RepoPage } from "./repo";

export const browseRoutes: RouteRecordRaw[] = [
  { path: "/", component: () => import("../pages/HomePage.vue") },
  { path: "/models", component: () => import("../pages/RepoListPage.vue"), props: { type: "model" } },
  { path: "/datasets", component: () => import("../pages/RepoListPage.vue"), props: { type: "dataset" } },
  { path: "/spaces", component: () => import("../pages/RepoListPage.vue"), props: { type: "space" } },
];

const repoPage = () => import("../pages/RepoPage.vue");

export const repoPages: RepoPage[] = [
  { name: "card", suffix: "", component: repoPage, props: () => ({ tab: "card" }) },
  { name: "tree", suffix: "/tree/:revision/:path(.*)*", component: repoPage, props: () => ({ tab: "files" }) },
];
