import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw } from "vue-router";
import { browseRoutes, repoPages } from "./routes/browse";
import { writePages, writeRoutes } from "./routes/writes";
import { repoSettingsPages } from "./routes/repoSettings";
import { accountRoutes } from "./routes/accounts";
import { adminRoutes } from "./routes/admin";
import { peopleRoutes } from "./routes/people";
import { historyPages } from "./routes/history";
import { filePages } from "./routes/files";
import { discussionPages } from "./routes/discussions";
import { REPO_PREFIXES, repoRoutes, type RepoPage } from "./routes/repo";
import { useSession } from "./stores/session";

// The Hub's URLs: a Hub link works here with the host swapped. Each area of the UI lists its own routes
// in src/routes/<area>.ts: site pages as RouteRecordRaw, repo pages as RepoPage (mounted below each prefix).
const sitePages: RouteRecordRaw[] = [...adminRoutes, ...browseRoutes, ...writeRoutes, ...accountRoutes, ...peopleRoutes];
const pagesOfARepo: RepoPage[] = [...repoPages, ...writePages, ...filePages, ...historyPages, ...repoSettingsPages,
  ...discussionPages];

const NOT_FOUND = "not-found";

/** The 404 page at the same address (query and hash kept). */
export function notFound(to: Pick<RouteLocationNormalized, "path" | "query" | "hash">) {
  return { name: NOT_FOUND, params: { rest: to.path.slice(1).split("/") }, query: to.query, hash: to.hash };
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    ...sitePages,
    ...REPO_PREFIXES.flatMap(([prefix, type]) => repoRoutes(prefix, type, pagesOfARepo)),
    { path: "/:rest(.*)*", name: NOT_FOUND, component: () => import("./pages/NotFoundPage.vue") },
  ],
});

// Pages with meta.siteAdmin are the admin portal's: anyone but a site admin gets the 404 page of an unknown
// URL (the address stays as typed), and the portal's code is never fetched for them.
// Pages with meta.signIn need a session: log in first, then come back here.
router.beforeEach(async (to) => {
  if (!to.meta.signIn && !to.meta.siteAdmin) return true;
  const session = useSession();
  await session.ready();
  if (to.meta.siteAdmin) return session.isAdmin ? true : notFound(to);
  return session.username ? true : { path: "/login", query: { next: to.fullPath } };
});
