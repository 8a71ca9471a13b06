import { defineStore } from "pinia";
import { ref } from "vue";
import { ApiError, getJson } from "../api/client";

/** Who is signed in (the session cookie), asked once per page load and again after logging in or out. */
export const useSession = defineStore("session", () => {
  const username = ref<string | null>(null);
  let loading: Promise<void> | null = null;

  async function load(): Promise<void> {
    try {
      username.value = (await getJson<{ name: string }>("/api/whoami-v2")).name;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) throw error;
      username.value = null;
    }
  }

  /** The first answer of this page load (pages and the router's guard share one request). */
  function ready(): Promise<void> {
    loading ??= load();
    return loading;
  }

  function forget(): void {
    username.value = null;
  }

  return { username, load, ready, forget };
});
