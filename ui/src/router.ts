import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { browseRoutes, repoPages } from "./routes/browse";
import { writePages, writeRoutes } from "./routes/writes";
import { historyPages } from "./routes/history";
import { REPO_PREFIXES, repoRoutes, type RepoPage } from "./routes/repo";

// The Hub's URLs: a Hub link works here with the host swapped. Each area of the UI lists its own routes
// in src/routes/<area>.ts: site pages as RouteRecordRaw, repo pages as RepoPage (mounted below each prefix).
const sitePages: RouteRecordRaw[] = [...browseRoutes, ...writeRoutes];
const pagesOfARepo: RepoPage[] = [...repoPages, ...writePages, ...historyPages];

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    ...sitePages,
    ...REPO_PREFIXES.flatMap(([prefix, type]) => repoRoutes(prefix, type, pagesOfARepo)),
    { path: "/:rest(.*)*", component: () => import("./pages/NotFoundPage.vue") },
  ],
});
