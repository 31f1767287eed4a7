import { defineConfig } from 'vite';

// Built by the gateway's Maven build (npm ci + npm run build) into the classes the gateway serves at /
// (META-INF/resources): same origin as the API, nothing from a CDN.
export default defineConfig({
  build: {
    outDir: '../../../target/classes/META-INF/resources',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
});
