import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// Served by the service under /console/app (bot/console/staff_app.py).
export default defineConfig({
  base: "/console/app/",
  plugins: [vue()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes("element-plus") || id.includes("@element-plus")) return "element-plus";
          if (id.includes("node_modules/vue") || id.includes("@vue")) return "vue";
          return undefined;
        },
      },
    },
  },
});
