// Alternated passes over one or two compiled trees (bench/parse.mjs, bench/frontmatter.mjs): each
// pair of passes saw about the same machine, so the median of the pairs' ratios is the figure to quote.

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One warm-up pass per tree (JIT, caches), then `passes` rounds of `pass(tree)` in turn: the figures per tree. */
export function alternate(trees, passes, pass) {
  for (const tree of trees) pass(tree);
  const times = trees.map(() => []);
  for (let p = 0; p < passes; p++) trees.forEach((tree, t) => times[t].push(pass(tree)));
  return times;
}

/** The median of second/first, pass by pass (two trees), else undefined. */
export function pairRatio(times) {
  return times.length === 2 ? median(times[1].map((x, p) => x / times[0][p])) : undefined;
}
