import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { browseRoutes, repoPages } from "./routes/browse";
import { writePages, writeRoutes } from "./routes/writes";
import { repoSettingsPages } from "./routes/repoSettings";
import { accountRoutes } from "./routes/accounts";
import { peopleRoutes } from "./routes/people";
import { historyPages } from "./routes/history";
import { filePages } from "./routes/files";
import { discussionPages } from "./routes/discussions";
import { REPO_PREFIXES, repoRoutes, type RepoPage } from "./routes/repo";
import { useSession } from "./stores/session";

// The Hub's URLs: a Hub link works here with the host swapped. Each area of the UI lists its own routes
// in src/routes/<area>.ts: site pages as RouteRecordRaw, repo pages as RepoPage (mounted below each prefix).
const sitePages: RouteRecordRaw[] = [...browseRoutes, ...writeRoutes, ...accountRoutes, ...peopleRoutes];
const pagesOfARepo: RepoPage[] = [...repoPages, ...writePages, ...filePages, ...historyPages, ...repoSettingsPages,
  ...discussionPages];

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    ...sitePages,
    ...REPO_PREFIXES.flatMap(([prefix, type]) => repoRoutes(prefix, type, pagesOfARepo)),
    { path: "/:rest(.*)*", component: () => import("./pages/NotFoundPage.vue") },
  ],
});

// Pages with meta.signIn need a session: log in first, then come back here.
router.beforeEach(async (to) => {
  if (!to.meta.signIn) return true;
  const session = useSession();
  await session.ready();
  return session.username ? true : { path: "/login", query: { next: to.fullPath } };
});
