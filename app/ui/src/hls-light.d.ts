// Types for the hls.js "light" build (same API as the full build, no separate .d.ts shipped).
declare module 'hls.js/light' {
  export * from 'hls.js';
  export { default } from 'hls.js';
}
