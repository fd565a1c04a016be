import { defineConfig } from 'vite';

// Built assets land in the Python package so that `pip install` ships the UI; hashed names under
// /assets/ are served with long-lived caching headers by ember/ui.
export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: '../ember/ui/static',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2020',
    chunkSizeWarningLimit: 700,
  },
  server: { proxy: { '/api': 'http://localhost:9090' } },
});
