/* mt_bench -- per-frame update() time of a libmottrack tracker, called from C.
 *
 * Usage: mt_bench TRACKER SEQS_FILE REPEATS [name=value ...]
 * SEQS_FILE (little-endian): u32 n_seqs; per sequence u32 n_frames, per frame u32 n then
 * n x 5 float64 rows (x1, y1, x2, y2, score).  Each repeat creates a tracker per sequence
 * and feeds every frame; a frame's time is its best over the repeats.  Prints one line:
 *   frames=F median_ns=M p99_ns=P
 * With MT_BENCH_TIMES=path the per-frame best times (int64 ns) are written there, with
 * MT_BENCH_OUT=path every output row of the first repeat (float64 x 8). */
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
    uint32_t nseq, nf = 0, cap = 1024;
    if (fread(&nseq, 4, 1, fp) != 1) return 2;
    double **rows = calloc(cap, sizeof *rows);
    uint32_t *ns = calloc(cap, sizeof *ns);
    unsigned char *first = calloc(cap, 1);  /* a frame that starts a sequence */
    for (uint32_t q = 0; q < nseq; q++) {
        uint32_t m;
        if (fread(&m, 4, 1, fp) != 1) return 2;
        for (uint32_t f = 0; f < m; f++, nf++) {
            if (nf == cap) {
                cap *= 2;
                rows = realloc(rows, cap * sizeof *rows);
                ns = realloc(ns, cap * sizeof *ns);
                first = realloc(first, cap);
            }
            first[nf] = f == 0;
            if (fread(&ns[nf], 4, 1, fp) != 1) return 2;
            rows[nf] = malloc((size_t)ns[nf] * 40 + 8);
            if (fread(rows[nf], 40, ns[nf], fp) != ns[nf]) return 2;
        }
    }
    fclose(fp);
    const char *times_path = getenv("MT_BENCH_TIMES"), *out_path = getenv("MT_BENCH_OUT");
    FILE *out_fp = out_path ? fopen(out_path, "wb") : NULL;
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
    for (int r = 0; r < repeats; r++) {
        mt_tracker *t = NULL;
        char err[256];
        for (uint32_t f = 0; f < nf; f++) {
            if (first[f]) {
                mt_tracker_destroy(t);
                if (mt_tracker_create(argv[1], params, (size_t)np, &t, err, sizeof err)) {
                    fprintf(stderr, "%s\n", err);
                    return 1;
                }
            }
            mt_frame fr = {0};
            fr.rows = rows[f]; fr.n = ns[f]; fr.cols = 5;
            const double *out; size_t n;
            int64_t t0 = now_ns();
            int s = mt_tracker_update(t, &fr, &out, &n);
            int64_t dt = now_ns() - t0;
            if (s) { fprintf(stderr, "frame %u: %s\n", f, mt_tracker_last_error(t)); return 1; }
            if (dt < best[f]) best[f] = dt;
            if (r == 0 && out_fp && n)
                fwrite(out, 64, n, out_fp);
        }
        mt_tracker_destroy(t);
    }
    if (out_fp)
        fclose(out_fp);
    if (times_path) {
        FILE *tf = fopen(times_path, "wb");
        if (tf) { fwrite(best, 8, nf, tf); fclose(tf); }
    }
    qsort(best, nf, sizeof *best, cmp64);
    printf("frames=%u median_ns=%lld p99_ns=%lld\n", nf, (long long)best[nf / 2],
           (long long)best[(size_t)(0.99 * (nf - 1))]);
    return 0;
}
