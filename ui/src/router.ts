import { createRouter, createWebHistory, type RouteLocationNormalized } from "vue-router";
import type { RepoType } from "./api/client";

// The Hub's URLs: a Hub link works here with the host swapped.
const repoProps = (type: RepoType) => (route: RouteLocationNormalized) => ({
  type,
  id: `${route.params.namespace}/${route.params.name}`,
  revision: (route.params.revision as string) || "main",
  path: ([] as string[]).concat(route.params.path || []).join("/"),
  tab: route.name?.toString().endsWith("tree") ? "files" : "card",
});

const repoRoutes = (prefix: string, type: RepoType) => [
  { path: `${prefix}/:namespace/:name`, name: `${type}`, component: () => import("./pages/RepoPage.vue"), props: repoProps(type) },
  {
    path: `${prefix}/:namespace/:name/tree/:revision/:path(.*)*`,
    name: `${type}-tree`,
    component: () => import("./pages/RepoPage.vue"),
    props: repoProps(type),
  },
];

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: "/", component: () => import("./pages/HomePage.vue") },
    { path: "/models", component: () => import("./pages/RepoListPage.vue"), props: { type: "model" } },
    { path: "/datasets", component: () => import("./pages/RepoListPage.vue"), props: { type: "dataset" } },
    { path: "/spaces", component: () => import("./pages/RepoListPage.vue"), props: { type: "space" } },
    ...repoRoutes("/datasets", "dataset"),
    ...repoRoutes("/spaces", "space"),
    ...repoRoutes("", "model"),
    { path: "/:rest(.*)*", component: () => import("./pages/NotFoundPage.vue") },
  ],
});
