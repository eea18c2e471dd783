/** Stylesheets are bundled by esbuild into console.css (src/api/console-routes.ts). */
declare module '*.css'
