/** Vite's `?raw` imports (fixture files as strings, in Node and in Chromium). */
declare module '*?raw' {
  const text: string;
  export default text;
}
