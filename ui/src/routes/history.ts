import type { RepoPage } from "./repo";

// History and diffs: the Hub's /commits URLs, and a GitHub-like /compare (the Hub has none). Each suffix
// starts with its own static segment, so none collides with /tree or /blob of a model repo.
const commitsPage = () => import("../pages/CommitsPage.vue");

export const historyPages: RepoPage[] = [
  { name: "commits", suffix: "/commits/:revision/:path(.*)*", component: commitsPage },
  {
    name: "commit", suffix: "/commit/:sha", component: () => import("../pages/CommitPage.vue"),
    props: (route) => ({ sha: route.params.sha as string }),
  },
  {
    name: "compare", suffix: "/compare/:spec(.*)*", component: () => import("../pages/ComparePage.vue"),
    props: (route) => ({ spec: ([] as string[]).concat(route.params.spec || []).join("/") }),
  },
];
