import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vitest/config";

// The hub serves dist/ at "/" (kohakuhub/api/ui.py); during `npm run dev` API calls go to a local hub.
export default defineConfig({
  plugins: [vue()],
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false },
  server: { proxy: { "/api": "http://127.0.0.1:28080" } },
  test: { environment: "jsdom", include: ["tests/**/*.test.ts"] },
});
