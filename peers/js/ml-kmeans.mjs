// The npm package ml-kmeans (mljs), run through the refkmeans --cmd protocol:
// JSON requests on stdin, one per line; one JSON answer per line on stdout.
//
//   npm install --prefix peers/js          # once: installs the pinned ml-kmeans
//   refkmeans conform --cmd "node peers/js/ml-kmeans.mjs" --batch
//
// It is called as its README shows, from the given centroids, with
// tolerance 0 so that only exact convergence stops it.  kmeansGenerator
// yields each step, which gives the trace; a step's labels are shared and
// overwritten by the next step, so they are copied.  max_iter = 0 goes to
// kmeans(), which reads 0 as "no limit".

import { readFileSync } from "node:fs";
import { kmeans, kmeansGenerator } from "ml-kmeans";

function answer(request) {
  const { pixels, init, max_iter: maxIter, metric, empty } = request;
  if (metric !== "euclidean" && metric !== "sqeuclidean") return { unsupported: `metric ${metric}` };
  if (empty !== "keep") return { unsupported: `empty-cluster policy ${empty}` };

  const options = { initialization: init.map((c) => c.slice()), maxIterations: maxIter, tolerance: 0 };
  if (maxIter === 0) {
    const result = kmeans(pixels, init.length, options);
    return { labels: result.clusters, centroids: result.centroids, trace: [] };
  }
  const trace = [];
  let centroids = init;
  let last = null;
  for (const step of kmeansGenerator(pixels, init.length, options)) {
    trace.push({ centroids, labels: step.clusters.slice() });
    centroids = step.centroids;
    last = step;
  }
  return { labels: last.clusters.slice(), centroids: last.centroids, trace };
}

for (const line of readFileSync(0, "utf8").split("\n")) {
  if (line.trim()) console.log(JSON.stringify(answer(JSON.parse(line))));
}
