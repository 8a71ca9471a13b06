import type { RepoPage } from "./repo";

// The Community tab: the Hub's /discussions URLs (a pull request is a discussion too).
export const discussionPages: RepoPage[] = [
  { name: "discussions", suffix: "/discussions", component: () => import("../pages/DiscussionsPage.vue") },
  { name: "discussion-new", suffix: "/discussions/new", component: () => import("../pages/NewDiscussionPage.vue") },
  {
    name: "discussion", suffix: "/discussions/:num(\\d+)", component: () => import("../pages/DiscussionPage.vue"),
    props: (route) => ({ num: route.params.num as string }),
  },
];
