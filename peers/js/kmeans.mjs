// A small k-means in plain JavaScript that speaks the refkmeans --cmd protocol
// (SPEC.md section 10): JSON requests on stdin, one per line, and one JSON
// answer per line on stdout, so it works alone and in --batch mode.
//
//   refkmeans conform --cmd "node peers/js/kmeans.mjs" --batch
//
// It is the algorithm of SPEC.md in float64: squared distances summed in
// channel order, the lowest index wins a tie, an empty cluster keeps its
// centroid, the run stops when an update moves nothing, and when max_iter
// stops it the labels are recomputed for the final centroids.  It answers
// "unsupported" for metrics and empty-cluster policies it does not implement.

import { readFileSync } from "node:fs";

function answer(request) {
  const { pixels, init, max_iter: maxIter, metric, empty } = request;
  if (metric !== "euclidean" && metric !== "sqeuclidean") return { unsupported: `metric ${metric}` };
  if (empty !== "keep") return { unsupported: `empty-cluster policy ${empty}` };

  function assign(centroids) {
    return pixels.map((pixel) => {
      let best = 0;
      let bestDistance = Infinity;
      centroids.forEach((centroid, j) => {
        let distance = 0;
        for (let c = 0; c < pixel.length; c++) {
          const d = pixel[c] - centroid[c];
          distance += d * d;
        }
        if (distance < bestDistance) {
          best = j;
          bestDistance = distance;
        }
      });
      return best;
    });
  }

  function update(labels, centroids) {
    const sums = centroids.map((c) => c.map(() => 0));
    const counts = centroids.map(() => 0);
    labels.forEach((label, i) => {
      counts[label] += 1;
      pixels[i].forEach((v, c) => { sums[label][c] += v; });
    });
    return centroids.map((old, j) => (counts[j] ? sums[j].map((s) => s / counts[j]) : old.slice()));
  }

  let centroids = init.map((c) => c.slice());
  let labels = assign(centroids);
  const trace = [];
  let converged = false;
  for (let t = 0; t < maxIter; t++) {
    labels = assign(centroids);
    trace.push({ centroids, labels });
    const next = update(labels, centroids);
    const same = next.every((c, j) => c.every((v, ch) => v === centroids[j][ch]));
    if (same) {
      converged = true;
      break;
    }
    centroids = next;
  }
  if (!converged) labels = assign(centroids);
  return { labels, centroids, trace };
}

for (const line of readFileSync(0, "utf8").split("\n")) {
  if (line.trim()) console.log(JSON.stringify(answer(JSON.parse(line))));
}
