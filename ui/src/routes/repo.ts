import type { RouteLocationNormalized, RouteRecordRaw } from "vue-router";
import type { RepoType } from "../api/client";

/** A page of a repo: `suffix` follows `/{namespace}/{name}` ("" for the repo's own page). */
export interface RepoPage {
  name: string;
  suffix: string;
  component: RouteRecordRaw["component"];
  /** Extra props from the route (type, id, revision and path are always given). */
  props?: (route: RouteLocationNormalized) => Record<string, unknown>;
}

/** Datasets and spaces have their prefix; models have none (and come last, as the Hub's URLs do). */
export const REPO_PREFIXES: [string, RepoType][] = [
  ["/datasets", "dataset"],
  ["/spaces", "space"],
  ["", "model"],
];

export function repoProps(type: RepoType, route: RouteLocationNormalized) {
  return {
    type,
    id: `${route.params.namespace}/${route.params.name}`,
    revision: (route.params.revision as string) || "main",
    path: ([] as string[]).concat(route.params.path || []).join("/"),
  };
}

export function repoRoutes(prefix: string, type: RepoType, pages: RepoPage[]): RouteRecordRaw[] {
  return pages.map((page) => ({
    path: `${prefix}/:namespace/:name${page.suffix}`,
    name: `${type}-${page.name}`,
    component: page.component,
    props: (route: RouteLocationNormalized) => ({ ...repoProps(type, route), ...page.props?.(route) }),
  })) as RouteRecordRaw[];
}
