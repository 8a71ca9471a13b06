import { createPinia } from "pinia";
import { createApp } from "vue";
import App from "./App.vue";
import { onUnauthorized } from "./api/client";
import { router } from "./router";
import { useSession } from "./stores/session";
import "./style.css";

const app = createApp(App).use(createPinia()).use(router);
const session = useSession();
// A 401 while we believed someone signed in: the session expired or was revoked. Log in, then come back.
onUnauthorized(() => {
  if (!session.username) return;
  session.forget();
  const here = router.currentRoute.value;
  if (here.path !== "/login") void router.push({ path: "/login", query: { next: here.fullPath, expired: "1" } });
});
app.mount("#app");
