/* mt_bench -- per-frame update() time of a libmottrack tracker, called from C.
 *
 * Usage: mt_bench TRACKER FRAMES_FILE REPEATS [name=value ...]
 * FRAMES_FILE (little-endian): u32 n_frames, per frame u32 n then n x 5 float64 rows
 * (x1, y1, x2, y2, score).  Each repeat creates a tracker and feeds every frame; a
 * frame's time is its best over the repeats.  Prints one line:
 *   frames=F median_ns=M p99_ns=P fnv=H   (H: FNV-1a 64 of every output row, repeat 1) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mottrack.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: mt_bench TRACKER FRAMES_FILE REPEATS [name=value ...]\n");
        return 2;
    }
    FILE *fp = fopen(argv[2], "rb");
    if (!fp) { perror(argv[2]); return 2; }
    uint32_t nf;
    if (fread(&nf, 4, 1, fp) != 1) return 2;
    double **rows = calloc(nf, sizeof *rows);
    uint32_t *ns = calloc(nf, sizeof *ns);
    for (uint32_t f = 0; f < nf; f++) {
        if (fread(&ns[f], 4, 1, fp) != 1) return 2;
        rows[f] = malloc((size_t)ns[f] * 40 + 8);
        if (fread(rows[f], 40, ns[f], fp) != ns[f]) return 2;
    }
    fclose(fp);
    mt_param params[16];
    char names[16][64];
    int np = 0;
    for (int a = 4; a < argc && np < 16; a++) {
        char *eq = strchr(argv[a], '=');
        if (!eq) continue;
        snprintf(names[np], sizeof names[np], "%.*s", (int)(eq - argv[a]), argv[a]);
        params[np].name = names[np];
        params[np].value = atof(eq + 1);
        params[np].text = NULL;
        np++;
    }
    int repeats = atoi(argv[3]);
    int64_t *best = malloc(nf * sizeof *best);
    for (uint32_t f = 0; f < nf; f++) best[f] = INT64_MAX;
    uint64_t fnv = 1469598103934665603ull;
    for (int r = 0; r < repeats; r++) {
        mt_tracker *t;
        char err[256];
        if (mt_tracker_create(argv[1], params, (size_t)np, &t, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        for (uint32_t f = 0; f < nf; f++) {
            mt_frame fr = {0};
            fr.rows = rows[f]; fr.n = ns[f]; fr.cols = 5;
            const double *out; size_t n;
            int64_t t0 = now_ns();
            int s = mt_tracker_update(t, &fr, &out, &n);
            int64_t dt = now_ns() - t0;
            if (s) { fprintf(stderr, "frame %u: %s\n", f, mt_tracker_last_error(t)); return 1; }
            if (dt < best[f]) best[f] = dt;
            if (r == 0) {
                const unsigned char *p = (const unsigned char *)out;
                for (size_t i = 0; i < n * 64; i++) { fnv ^= p[i]; fnv *= 1099511628211ull; }
            }
        }
        mt_tracker_destroy(t);
    }
    qsort(best, nf, sizeof *best, cmp64);
    printf("frames=%u median_ns=%lld p99_ns=%lld fnv=%016llx\n", nf, (long long)best[nf / 2],
           (long long)best[(size_t)(0.99 * (nf - 1))], (unsigned long long)fnv);
    return 0;
}
