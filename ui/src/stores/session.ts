import { defineStore } from "pinia";
import { ref } from "vue";
import { ApiError, getJson } from "../api/client";

/** Who is signed in (the session cookie), and whether they are a site admin (`is_admin` of /api/auth/me,
 * which only the router's admin guard and the header's admin link read: the hub decides on every call).
 * Asked once per page load and again after logging in or out. */
export const useSession = defineStore("session", () => {
  const username = ref<string | null>(null);
  const isAdmin = ref(false);
  let loading: Promise<void> | null = null;

  async function load(): Promise<void> {
    try {
      const me = await getJson<{ username: string; is_admin: boolean }>("/api/auth/me");
      username.value = me.username;
      isAdmin.value = me.is_admin;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) throw error;
      forget();
    }
  }

  /** The first answer of this page load (pages and the router's guards share one request). */
  function ready(): Promise<void> {
    loading ??= load();
    return loading;
  }

  function forget(): void {
    username.value = null;
    isAdmin.value = false;
  }

  return { username, isAdmin, load, ready, forget };
});
