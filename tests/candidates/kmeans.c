/* A small k-means in C for `refkmeans conform --cmd` (SPEC.md C3), with one switch per injected bug.
 *
 *   kmeans [--final] [--bug tie-highest|split-refill|round-half-up|round-floor|float32] [--no-echo]
 *
 * It reads one JSON request per line on stdin (one line per run, or many with --batch) and answers
 * each with one line.  A request with "centroids" is a step request (KM-CMD-6): one iteration from
 * those centroids.  Without --bug it is a correct float64 Lloyd: lowest index on exact ties, exact
 * stop rule, policies 'keep' and 'error'.  The JSON reader knows only the request's own shape.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *bug = "";
static int with_trace = 1, echo = 1;

static const char *after_key(const char *s, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(s, pattern);
    if (!p) return NULL;
    p += strlen(pattern);
    while (*p == ' ' || *p == ':') p++;
    return p;
}

static void read_string(const char *p, char *out, size_t size) {
    size_t n = 0;
    if (p && *p == '"')
        for (p++; *p && *p != '"' && n + 1 < size; p++) out[n++] = *p;
    out[n] = 0;
}

/* [[a, b], [c, d]] -> rows x cols doubles */
static double *read_rows(const char *p, int *rows, int *cols) {
    int cap = 64, count = 0;
    double *v = malloc(cap * sizeof *v);
    *rows = 0;
    *cols = 0;
    p++; /* [ */
    for (;;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p != '[') break;
        p++;
        int c = 0;
        for (;;) {
            while (*p == ' ' || *p == ',') p++;
            if (*p == ']') { p++; break; }
            char *end;
            double x = strtod(p, &end);
            p = end;
            if (count == cap) v = realloc(v, (cap *= 2) * sizeof *v);
            v[count++] = x;
            c++;
        }
        *cols = c;
        (*rows)++;
    }
    return v;
}

static int n, C, k;
static double *pix;

static void assign(const double *cen, int *labels) {
    for (int i = 0; i < n; i++) {
        int best = -1;
        double best_d = 0;
        for (int j = 0; j < k; j++) {
            double d = 0;
            for (int c = 0; c < C; c++) {
                double diff = pix[i * C + c] - cen[j * C + c];
                d += diff * diff;
            }
            if (best < 0 || d < best_d || (d == best_d && !strcmp(bug, "tie-highest"))) {
                best = j;
                best_d = d;
            }
        }
        labels[i] = best;
    }
}

/* New centroids from labels; returns the first empty cluster under policy 'error', else -1. */
static int update(const double *cen, const int *labels, double *out, int error_policy) {
    int *count = calloc(k, sizeof *count);
    double *sum = calloc((size_t)k * C, sizeof *sum);
    int empty = -1, donor = 0;
    for (int i = 0; i < n; i++) {
        count[labels[i]]++;
        for (int c = 0; c < C; c++) sum[labels[i] * C + c] += pix[i * C + c];
    }
    for (int j = 0; j < k; j++) {
        if (count[j] > count[donor]) donor = j;
        for (int c = 0; c < C; c++) {
            double m = count[j] ? sum[j * C + c] / count[j] : cen[j * C + c];
            if (count[j] && !strcmp(bug, "round-half-up")) m = floor(m + 0.5);
            if (count[j] && !strcmp(bug, "round-floor")) m = floor(m);
            if (count[j] && !strcmp(bug, "float32")) m = (float)m;
            out[j * C + c] = m;
        }
    }
    for (int j = 0; j < k; j++) {
        if (count[j]) continue;
        if (empty < 0) empty = j;
        if (!strcmp(bug, "split-refill")) { /* copy the largest cluster's mean, push the two apart */
            for (int c = 0; c < C; c++) {
                double m = out[donor * C + c], up = m * (1 + 1.0 / 1024), down = m * (1 - 1.0 / 1024);
                out[j * C + c] = c % 2 ? down : up;
                out[donor * C + c] = c % 2 ? up : down;
            }
        }
    }
    free(count);
    free(sum);
    return error_policy ? empty : -1;
}

static void put_rows(const double *v, int rows) {
    putchar('[');
    for (int j = 0; j < rows; j++) {
        printf(j ? ", [" : "[");
        for (int c = 0; c < C; c++) printf(c ? ", %.17g" : "%.17g", v[j * C + c]);
        putchar(']');
    }
    putchar(']');
}

static void put_labels(const int *labels) {
    putchar('[');
    for (int i = 0; i < n; i++) printf(i ? ", %d" : "%d", labels[i]);
    putchar(']');
}

static void answer(const char *line) {
    char id[512], metric[64], empty[64];
    int rows, cols, start_rows;
    read_string(after_key(line, "case"), id, sizeof id);
    read_string(after_key(line, "metric"), metric, sizeof metric);
    read_string(after_key(line, "empty"), empty, sizeof empty);
    printf("{");
    if (echo) printf("\"case\": \"%s\", ", id);
    if ((strcmp(metric, "euclidean") && strcmp(metric, "sqeuclidean")) || !strcmp(empty, "farthest")) {
        printf("\"unsupported\": \"euclidean with keep or error only\"}\n");
        return;
    }
    pix = read_rows(after_key(line, "pixels"), &rows, &cols);
    n = rows;
    C = cols;
    const char *step = after_key(line, "centroids");
    double *cen = read_rows(step ? step : after_key(line, "init"), &start_rows, &cols);
    k = start_rows;
    double *next = malloc((size_t)k * C * sizeof *next);
    int *labels = malloc((size_t)n * sizeof *labels);
    int error_policy = !strcmp(empty, "error");
    if (step) { /* one iteration: labels for these centroids, and the centroids they give */
        assign(cen, labels);
        int e = update(cen, labels, next, error_policy);
        if (e >= 0) printf("\"error\": \"empty-cluster\", \"cluster\": %d}\n", e);
        else {
            printf("\"labels\": ");
            put_labels(labels);
            printf(", \"centroids\": ");
            put_rows(next, k);
            printf("}\n");
        }
    } else {
        const char *p = after_key(line, "max_iter");
        int max_iter = p ? atoi(p) : 0;
        printf(with_trace ? "\"trace\": [" : "\"untraced\": [");
        for (int t = 0; t < max_iter; t++) {
            assign(cen, labels);
            if (with_trace) {
                printf(t ? ", {\"centroids\": " : "{\"centroids\": ");
                put_rows(cen, k);
                printf(", \"labels\": ");
                put_labels(labels);
                putchar('}');
            }
            int e = update(cen, labels, next, error_policy);
            if (e >= 0) {
                printf("], \"error\": \"empty-cluster\", \"iteration\": %d, \"cluster\": %d}\n", t, e);
                goto done;
            }
            int same = !memcmp(cen, next, (size_t)k * C * sizeof *cen);
            memcpy(cen, next, (size_t)k * C * sizeof *cen);
            if (same) break;
        }
        assign(cen, labels);
        printf("], \"labels\": ");
        put_labels(labels);
        printf(", \"centroids\": ");
        put_rows(cen, k);
        printf("}\n");
    }
done:
    fflush(stdout);
    free(pix);
    free(cen);
    free(next);
    free(labels);
}

int main(int argc, char **argv) {
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--final")) with_trace = 0;
        else if (!strcmp(argv[a], "--no-echo")) echo = 0;
        else if (!strcmp(argv[a], "--bug") && a + 1 < argc) bug = argv[++a];
        else {
            fprintf(stderr, "unknown option %s\n", argv[a]);
            return 2;
        }
    }
    char *line = NULL;
    size_t size = 0;
    while (getline(&line, &size, stdin) > 0)
        if (strchr(line, '{')) answer(line);
    free(line);
    return 0;
}
