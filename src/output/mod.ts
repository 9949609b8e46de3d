/**
 * Files on disk under `<data>/`: atomic writes, the folder layout and safe
 * paths, front matter, published articles, review files and the workflow mirror.
 * @module
 */
export * from "./errors.ts";
export * from "./atomic.ts";
export * from "./paths.ts";
export * from "./front_matter.ts";
export * from "./markdown.ts";
export * from "./article.ts";
export * from "./review.ts";
export * from "./workflow_files.ts";
