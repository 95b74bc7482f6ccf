// Vite builds the console to static files in dist/ (no CDN: every script, style and font is
// served by Vigil itself). `VIGIL_CONSOLE_API` points the dev server's proxy at a running
// coordinator (`vite` in apps/console), so pages can be worked on against a live system.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env['VIGIL_CONSOLE_API'];

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One request fewer per page: small assets are inlined.
    assetsInlineLimit: 8192,
  },
  server: api ? { proxy: { '/v1': { target: api, changeOrigin: false } } } : {},
});
