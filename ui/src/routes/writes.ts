import type { RouteRecordRaw } from "vue-router";
import type { RepoPage } from "./repo";

export const writeRoutes: RouteRecordRaw[] = [{ path: "/new", component: () => import("../pages/NewRepoPage.vue") }];

const editPage = () => import("../pages/EditFilePage.vue");

export const writePages: RepoPage[] = [
  { name: "upload", suffix: "/upload/:revision/:path(.*)*", component: () => import("../pages/UploadPage.vue") },
  { name: "edit", suffix: "/edit/:revision/:path(.*)+", component: editPage, props: () => ({ mode: "edit" }) },
  { name: "new-file", suffix: "/new/:revision/:path(.*)*", component: editPage, props: () => ({ mode: "new" }) },
  { name: "delete", suffix: "/delete/:revision/:path(.*)+", component: () => import("../pages/DeletePage.vue") },
];
