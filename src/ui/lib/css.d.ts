/** @module Lets TypeScript accept the stylesheets components import; Bun's HTML bundler links them into the page. */
declare module "*.css";
