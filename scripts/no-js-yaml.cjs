// Stands in for js-yaml in the bundle (scripts/bundle.mjs). gray-matter loads js-yaml for its default YAML
// engine, which feedpipe replaces with its own (src/content/split.ts): it is never called, and leaving
// it out keeps 100 KB of parser out of every process and worker start.
'use strict';
const refuse = () => {
  throw new Error("gray-matter's js-yaml engine is not part of feedpipe: frontmatter is parsed by src/content/split.ts");
};
module.exports = { safeLoad: refuse, safeDump: refuse, load: refuse, dump: refuse };
