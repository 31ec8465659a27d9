/* test_main.c -- libmottrack's C tests: hand-worked cases, the error boundary, and the
 * replay of golden files (the Python package's exact outputs, see make_golden.py)
 * compared byte for byte.
 *
 * Usage: mt_test GOLDEN_DIR [tracker ...]   (trackers: replay only those files) */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mottrack.h"
#include "internal.h"

static int failures = 0, checks = 0;

/* Allocation counting (the test runner is linked with -Wl,--wrap=malloc,calloc,realloc):
 * counted only while `counting` is set, around library calls. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
static int counting = 0;
static long allocations = 0;
void *__wrap_malloc(size_t n) { allocations += counting; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { allocations += counting; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { allocations += counting; return __real_realloc(p, n); }

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        checks++;                                                         \
        if (!(cond)) {                                                    \
            failures++;                                                   \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, "\n");                                        \
        }                                                                 \
    } while (0)

static mt_tracker *make(const char *name, const mt_param *p, size_t n)
{
    mt_tracker *t = NULL;
    char err[256];
    int s = mt_tracker_create(name, p, n, &t, err, sizeof err);
    CHECK(s == MT_OK && t, "create %s: %s", name, err);
    return t;
}

/* the tracker's state bytes (malloc'd) */
static unsigned char *state_of(mt_tracker *t, size_t *len)
{
    size_t need = 0;
    mt_tracker_state_size(t, &need);
    unsigned char *b = malloc(need);
    size_t w = 0;
    int s = mt_tracker_save(t, b, need, &w);
    CHECK(s == MT_OK && w == need, "save: %s", mt_tracker_last_error(t));
    *len = w;
    return b;
}

static int same_state(mt_tracker *t, const unsigned char *b, size_t len)
{
    size_t l2;
    unsigned char *b2 = state_of(t, &l2);
    int same = l2 == len && memcmp(b, b2, len) == 0;
    free(b2);
    return same;
}

/* ------------------------------------------------------------------ hand-worked cases */
static void test_sort_hand(void)
{
    /* one static box (10, 20, 30, 60): u = 20, v = 40, s = 800, r = 0.5; the filter
     * predicts no motion and the update keeps the mean, so the box comes back exactly:
     * w = sqrt(800 * 0.5) = 20, h = 800 / 20 = 40. */
    mt_tracker *t = make("sort", NULL, 0);
    double det[5] = {10, 20, 30, 60, 0.9};
    mt_frame f = {0};
    f.rows = det; f.n = 1; f.cols = 5;
    const double *out; size_t n;
    for (int k = 1; k <= 4; k++) {
        int s = mt_tracker_update(t, &f, &out, &n);
        CHECK(s == MT_OK && n == 1, "sort frame %d: %d rows (%s)", k, (int)n, mt_tracker_last_error(t));
        if (n == 1) {
            double want[8] = {10, 20, 30, 60, 1, 0.9, -1, 0};
            CHECK(memcmp(out, want, sizeof want) == 0, "sort frame %d: row %g %g %g %g %g %g %g %g", k, out[0], out[1],
                  out[2], out[3], out[4], out[5], out[6], out[7]);
        }
    }
    /* frame 5: no detection; SORT (max_age 1) reports nothing, keeps the track one frame */
    f.n = 0;
    CHECK(mt_tracker_update(t, &f, &out, &n) == MT_OK && n == 0, "empty frame reports nothing");
    const int64_t *ids; size_t ni;
    CHECK(mt_tracker_track_ids(t, &ids, &ni) == MT_OK && ni == 1 && ids[0] == 1, "track 1 kept one frame");
    CHECK(mt_tracker_update(t, &f, &out, &n) == MT_OK && n == 0, "second empty frame");
    CHECK(mt_tracker_track_ids(t, &ids, &ni) == MT_OK && ni == 0, "track deleted after max_age");
    /* zero-width box: ignored, counted, det_index refers to the caller's rows */
    double two[10] = {5, 5, 5, 9, 0.8, 100, 100, 120, 140, 0.7};
    f.rows = two; f.n = 2;
    CHECK(mt_tracker_reset(t) == MT_OK, "reset");
    CHECK(mt_tracker_update(t, &f, &out, &n) == MT_OK && n == 1 && out[7] == 1.0 && out[4] == 1.0,
          "degenerate row skipped, det_index 1 (n=%zu)", n);
    int64_t fc, dropped;
    mt_tracker_counters(t, &fc, &dropped);
    CHECK(fc == 1 && dropped == 1, "counters %lld %lld", (long long)fc, (long long)dropped);
    mt_tracker_destroy(t);
}

static void test_bytetrack_hand(void)
{
    /* ByteTrack confirms a track born on the first frame at once and reports it with its
     * Kalman box: x1 + w recomputed as the original (x1 = 0, w = 10: exactly 10). */
    mt_tracker *t = make("bytetrack", NULL, 0);
    double det[5] = {0, 0, 10, 20, 0.9};
    mt_frame f = {0};
    f.rows = det; f.n = 1; f.cols = 5;
    const double *out; size_t n;
    CHECK(mt_tracker_update(t, &f, &out, &n) == MT_OK && n == 1, "bytetrack first frame");
    if (n == 1) {
        double want[8] = {0, 0, 10, 20, 1, 0.9, -1, 0};
        CHECK(memcmp(out, want, sizeof want) == 0, "bytetrack row %g %g %g %g", out[0], out[1], out[2], out[3]);
    }
    /* a low-score detection (0.1 < s < 0.5) never starts a track */
    double low[5] = {100, 100, 110, 120, 0.3};
    f.rows = low;
    CHECK(mt_tracker_update(t, &f, &out, &n) == MT_OK && n == 0, "low detection: no new track, old one lost");
    mt_tracker_destroy(t);
}

/* ------------------------------------------------------------------ the error boundary */
static void test_errors(void)
{
    mt_tracker *t = NULL;
    char err[256] = "";
    CHECK(mt_tracker_create("nope", NULL, 0, &t, err, sizeof err) == MT_ERR_UNKNOWN_TRACKER && !t
          && strstr(err, "available"), "unknown tracker: %s", err);
    mt_param bad = {"max_agee", 1, NULL};
    CHECK(mt_tracker_create("sort", &bad, 1, &t, err, sizeof err) == MT_ERR_UNKNOWN_PARAM && strstr(err, "max_age"),
          "unknown param: %s", err);
    mt_param nan_p = {"iou_threshold", NAN, NULL};
    CHECK(mt_tracker_create("sort", &nan_p, 1, &t, err, sizeof err) == MT_ERR_ARG && strstr(err, "iou_threshold"),
          "NaN param: %s", err);
    mt_param frac = {"min_hits", 2.5, NULL};
    CHECK(mt_tracker_create("sort", &frac, 1, &t, err, sizeof err) == MT_ERR_ARG, "fractional int: %s", err);
    mt_param ob = {"output_box", 0, "box"};
    CHECK(mt_tracker_create("bytetrack", &ob, 1, &t, err, sizeof err) == MT_ERR_ARG, "bad choice: %s", err);
    mt_param low = {"track_low_thresh", 0.2, NULL};
    CHECK(mt_tracker_create("botsort", &low, 1, &t, err, sizeof err) == MT_ERR_ARG, "botsort low: %s", err);
    CHECK(mt_tracker_create(NULL, NULL, 0, &t, err, sizeof err) == MT_ERR_NULL, "NULL name");
    const char *names[8]; size_t nn;
    CHECK(mt_tracker_names(names, 8, &nn) == MT_OK && nn == mt_n_kinds && nn == 6 && strcmp(names[0], "sort") == 0
          && strcmp(names[5], "hybridsort") == 0, "names");
    const mt_param_info *pi; size_t np;
    CHECK(mt_tracker_params("bytetrack", &pi, &np, err, sizeof err) == MT_OK && strcmp(pi[0].name, "track_thresh") == 0
          && pi[0].default_value == 0.5, "params");

    /* every tracker of the dispatch table (embeddings where it uses them) */
    for (size_t k = 0; k < mt_n_kinds; k++) {
        const mt_kind *kind = mt_kinds[k];
        const char *name = kind->name;
        int uses_emb = (kind->flags & (MT_KIND_EMB_OPTIONAL | MT_KIND_EMB_REQUIRED)) != 0;
        t = make(name, NULL, 0);
        double rows[12] = {0, 0, 10, 10, 0.9, 0, 20, 20, 40, 50, 0.8, 1};
        float unit[4] = {1, 0, 0.6f, 0.8f};
        mt_frame f = {0};
        f.rows = rows; f.n = 2; f.cols = 6;
        if (uses_emb) { f.embeddings = unit; f.embedding_dim = 2; f.embedding_type = MT_EMB_FLOAT32; }
        const double *out; size_t n;
        CHECK(mt_tracker_update(t, &f, &out, &n) == MT_OK, "%s first frame", name);
        size_t len;
        unsigned char *st = state_of(t, &len);
        /* every bad input: an error code and message, nothing changed */
        double nanrow[6] = {0, 0, NAN, 10, 0.9, 0};
        mt_frame g = f; g.rows = nanrow; g.n = 1;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG && n == 0 && strstr(mt_tracker_last_error(t), "finite"),
              "%s NaN: %s", name, mt_tracker_last_error(t));
        double inv[6] = {10, 0, 0, 10, 0.9, 0};
        g.rows = inv;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG, "%s x2 < x1", name);
        double cls[6] = {0, 0, 10, 10, 0.9, 1.5};
        g.rows = cls;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG, "%s class 1.5", name);
        double big[6] = {0, 0, 2e15, 10, 0.9, 0};
        g.rows = big;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG, "%s beyond 1e15", name);
        g = f; g.cols = 7;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG, "%s 7 columns", name);
        g = f; g.rows = NULL;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_NULL, "%s NULL rows", name);
        CHECK(mt_tracker_update(t, NULL, &out, &n) == MT_ERR_NULL, "%s NULL frame", name);
        CHECK(mt_tracker_set_max_detections(t, 1) == MT_OK, "set max_detections");
        CHECK(mt_tracker_update(t, &f, &out, &n) == MT_ERR_TOO_MANY, "%s oversize frame", name);
        CHECK(mt_tracker_set_max_detections(t, 5000) == MT_OK, "reset max_detections");
        double w_sing[6] = {1, 2, 0, 2, 4, 0};
        g = f; g.warp = w_sing; g.warp_rows = 2;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG, "%s singular warp", name);
        double w_nan[6] = {1, 0, NAN, 0, 1, 0};
        g.warp = w_nan;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG, "%s NaN warp", name);
        g.warp_rows = 4;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG, "%s 4-row warp", name);
        g = f; g.has_timestamp = 1; g.timestamp = NAN;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG, "%s NaN timestamp", name);
        float emb[4] = {1, 0, 0, 0};
        g = f; g.embeddings = emb; g.embedding_dim = 2; g.embedding_type = MT_EMB_FLOAT32;
        if (uses_emb) {
            CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG && strstr(mt_tracker_last_error(t), "zero length"),
                  "%s zero-length embedding: %s", name, mt_tracker_last_error(t));
        }
        g.embedding_type = 99;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG, "%s bad embedding type", name);
        int8_t q[4] = {1, 2, 3, 4};
        g.embeddings = q; g.embedding_type = MT_EMB_INT8; g.embedding_scale = 0.0;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG, "%s quantised scale 0", name);
        CHECK(same_state(t, st, len), "%s: state changed by rejected updates", name);
        /* timestamps must increase */
        g = f; g.has_timestamp = 1; g.timestamp = 100.0;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_OK, "%s timestamp", name);
        free(st);
        st = state_of(t, &len);
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG && same_state(t, st, len), "%s same timestamp", name);
        g.timestamp = 100.0 + 1e20;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_ERR_ARG && same_state(t, st, len), "%s huge step", name);
        /* tampered state buffers: every single-byte change is rejected, tracker unchanged */
        mt_tracker *u = make(name, NULL, 0);
        size_t ulen;
        unsigned char *ust = state_of(u, &ulen);
        int all_rejected = 1;
        for (size_t i = 0; i < len; i++) {
            unsigned char *c = malloc(len);
            memcpy(c, st, len);
            c[i] ^= (unsigned char)(1u << (i % 8));
            if (mt_tracker_restore(u, c, len) != MT_ERR_STATE)
                all_rejected = 0;
            free(c);
        }
        CHECK(all_rejected && same_state(u, ust, ulen), "%s: a tampered state was accepted", name);
        CHECK(mt_tracker_restore(u, st, len - 1) == MT_ERR_STATE, "%s truncated state", name);
        CHECK(mt_tracker_restore(u, st, len) == MT_OK && same_state(u, st, len), "%s restore: %s", name,
              mt_tracker_last_error(u));
        mt_tracker *other = make(mt_kinds[(k + 1) % mt_n_kinds]->name, NULL, 0);
        CHECK(mt_tracker_restore(other, st, len) == MT_ERR_STATE, "%s state into another tracker type", name);
        mt_tracker_destroy(other);
        free(ust);
        mt_tracker_destroy(u);
        free(st);
        /* camera motion: taken by the trackers that support it, else rejected */
        double w_ok[6] = {1, 0, 3, 0, 1, -2};
        g = f; g.warp = w_ok; g.warp_rows = 2; g.has_timestamp = 1; g.timestamp = 101.0;
        int warp_ok = (kind->flags & MT_KIND_WARP) != 0;
        CHECK((mt_tracker_update(t, &g, &out, &n) == MT_OK) == warp_ok, "%s warp: %s", name, mt_tracker_last_error(t));
        mt_tracker_destroy(t);
    }
}

/* ------------------------------------------------------------------ state fuzz */
/* Tampered states that carry a VALID checksum (as an attacker or a fuzzer would write them)
 * must be rejected field by field, or restore into a tracker that keeps running. */
static uint32_t lcg(uint32_t *s) { *s = *s * 1664525u + 1013904223u; return *s >> 8; }

/* The numeric domain's two gates (frame_rate's range, a warp's scale): before them a legal
 * frame_rate of 5e-324 made 1 / frame_rate = inf the clock, and a 1e200 zoom made the
 * covariances inf; either way the tracker's own saved state no longer restored. */
static void test_domain_bounds(void)
{
    char err[256];
    mt_tracker *t = NULL;
    const double bad_rates[] = {5e-324, 9.9e-7, 0.0, 1.0000001e6, 1e300};
    for (size_t i = 0; i < sizeof bad_rates / sizeof bad_rates[0]; i++) {
        mt_param p = {"frame_rate", bad_rates[i], NULL};
        int s = mt_tracker_create("sort", &p, 1, &t, err, sizeof err);
        CHECK(s == MT_ERR_ARG && !t && strstr(err, "frame_rate: expected a value in [1e-06, 1000000]"),
              "frame_rate %g: %d %s", bad_rates[i], s, err);
    }
    const double edge_rates[] = {1e-6, 1e6};
    for (size_t i = 0; i < 2; i++) {
        mt_param p = {"frame_rate", edge_rates[i], NULL};
        t = make("bytetrack", &p, 1);
        double rows[5] = {10, 20, 50, 120, 0.9};
        mt_frame f = {0};
        f.rows = rows; f.n = 1; f.cols = 5; f.has_timestamp = 1; f.timestamp = 1.7e308;
        const double *out; size_t n;
        CHECK(mt_tracker_update(t, &f, &out, &n) == MT_OK, "frame_rate %g: timestamped frame", edge_rates[i]);
        f.has_timestamp = 0;
        for (int k = 0; k < 3; k++)
            CHECK(mt_tracker_update(t, &f, &out, &n) == MT_OK, "frame_rate %g: frame %d", edge_rates[i], k);
        size_t len;
        unsigned char *st = state_of(t, &len);
        mt_tracker *c = NULL;
        CHECK(mt_tracker_from_state(st, len, &c, err, sizeof err) == MT_OK, "frame_rate %g: own state: %s",
              edge_rates[i], err);
        mt_tracker_destroy(c);
        free(st);
        mt_tracker_destroy(t);
    }
    const char *kinds[] = {"sort", "bytetrack", "botsort", "ocsort"};
    for (int k = 0; k < 4; k++) {
        t = make(kinds[k], NULL, 0);
        double rows[10] = {10, 20, 50, 120, 0.9, 200, 40, 240, 150, 0.8};
        mt_frame f = {0};
        f.rows = rows; f.n = 2; f.cols = 5;
        const double *out; size_t n;
        for (int j = 0; j < 4; j++) {
            rows[0] += 2; rows[2] += 2;
            CHECK(mt_tracker_update(t, &f, &out, &n) == MT_OK, "%s frame %d", kinds[k], j);
        }
        size_t len;
        unsigned char *st = state_of(t, &len);
        double too_big[][6] = {{1e200, 0, 0, 0, 1e200, 0}, {1e150, 0, 0, 0, 1e-150, 0}, {2e4, 0, 0, 0, 2e4, 0},
                               {1, 1e300, 0, 0, 1, 0}, {1e-5, 0, 0, 0, 1e-5, 0}};
        for (int w = 0; w < 5; w++) {
            mt_frame g = f;
            g.warp = too_big[w]; g.warp_rows = 2;
            int s = mt_tracker_update(t, &g, &out, &n);
            CHECK(s == MT_ERR_ARG && strstr(mt_tracker_last_error(t), "expected scales within [0.0001, 10000]")
                  && same_state(t, st, len), "%s warp %d: %d %s", kinds[k], w, s, mt_tracker_last_error(t));
        }
        double persp[][9] = {{1, 0, 4.7, 0, 1, 1e300, -3e-8, 7e-9, 1}, {1, 0, 0, 0, 1, 0, 0, 1e300, 1},
                             {1, 0, 0, 0, 1, 0, 1.5, 0, 1}};
        for (int w = 0; w < 3; w++) {
            mt_frame g = f;
            g.warp = persp[w]; g.warp_rows = 3;
            int s = mt_tracker_update(t, &g, &out, &n);
            CHECK(s == MT_ERR_ARG && strstr(mt_tracker_last_error(t), "a homography needs") && same_state(t, st, len),
                  "%s homography %d: %d %s", kinds[k], w, s, mt_tracker_last_error(t));
        }
        double edge[6] = {1e4, 0, 0, 0, 1e4, 0};
        mt_frame g = f;
        g.warp = edge; g.warp_rows = 2;
        CHECK(mt_tracker_update(t, &g, &out, &n) == MT_OK, "%s zoom 1e4: %s", kinds[k], mt_tracker_last_error(t));
        free(st);
        st = state_of(t, &len);
        mt_tracker *c = NULL;
        CHECK(mt_tracker_from_state(st, len, &c, err, sizeof err) == MT_OK, "%s own state after zoom 1e4: %s",
              kinds[k], err);
        mt_tracker_destroy(c);
        free(st);
        mt_tracker_destroy(t);
    }
}

static void test_state_fuzz(void)
{
    uint32_t seed = 12345;
    for (size_t k = 0; k < mt_n_kinds; k++) {
        const char *name = mt_kinds[k]->name;
        int uses_emb = (mt_kinds[k]->flags & (MT_KIND_EMB_OPTIONAL | MT_KIND_EMB_REQUIRED)) != 0;
        mt_tracker *t = make(name, NULL, 0);
        double rows[15] = {0, 0, 10, 20, 0.9, 30, 30, 50, 70, 0.8, 100, 0, 120, 40, 0.95};
        float emb[6] = {1, 0, 0.5f, 0, 1, 0.25f};
        mt_frame f = {0};
        f.rows = rows; f.n = 3; f.cols = 5;
        if (uses_emb) { f.embeddings = emb; f.embedding_dim = 2; f.embedding_type = MT_EMB_FLOAT32; }
        const double *out; size_t n;
        for (int i = 0; i < 6; i++) {
            rows[0] += 1; rows[5] += 2;
            mt_tracker_update(t, &f, &out, &n);
        }
        size_t len;
        unsigned char *st = state_of(t, &len);
        int accepted = 0, rejected = 0;
        for (int it = 0; it < 2000; it++) {
            unsigned char *c = malloc(len);
            memcpy(c, st, len);
            int flips = 1 + (int)(lcg(&seed) % 4);
            for (int q = 0; q < flips; q++) {
                size_t at = 16 + lcg(&seed) % (len - 20);
                c[at] = (unsigned char)lcg(&seed);
            }
            uint32_t crc = mt_crc32(c, len - 4);
            for (int b = 0; b < 4; b++) c[len - 4 + (size_t)b] = (unsigned char)(crc >> (8 * b));
            mt_tracker *u = NULL;
            char err[256];
            if (mt_tracker_from_state(c, len, &u, err, sizeof err) == MT_OK) {
                accepted++;
                for (int i = 0; i < 3; i++)
                    if (mt_tracker_update(u, &f, &out, &n) != MT_OK) break;
                size_t l2;
                unsigned char *s2 = state_of(u, &l2);
                free(s2);
                mt_tracker_destroy(u);
            } else {
                rejected++;
                CHECK(strlen(err) > 0, "%s: a rejected state has no message", name);
            }
            free(c);
        }
        CHECK(rejected > 0 && accepted > 0, "%s state fuzz: %d accepted, %d rejected", name, accepted, rejected);
        free(st);
        mt_tracker_destroy(t);
    }
}

/* Random frames mixing valid and invalid values: every call either succeeds or fails
 * leaving the tracker byte-identical (its saved state compared). */
static double pick(uint32_t *seed)
{
    static const double palette[] = {0, 1, -1, 1e-7, 5, 100, 640, 1e15, 2e15, NAN, INFINITY, -INFINITY, 0.5, 0.05,
                                     0.95, 3, -1e15};
    uint32_t r = lcg(seed);
    if (r % 3)
        return (double)(lcg(seed) % 2000) / 4.0;
    return palette[r % (sizeof palette / sizeof palette[0])];
}

static void test_input_fuzz(void)
{
    uint32_t seed = 777;
    for (size_t k = 0; k < mt_n_kinds; k++) {
        const char *name = mt_kinds[k]->name;
        int needs_emb = (mt_kinds[k]->flags & MT_KIND_EMB_REQUIRED) != 0;
        mt_tracker *t = make(name, NULL, 0);
        double rows[16 * 7], warp[9], ts = 0;
        float emb[16 * 4];
        int bad_kept = 0, ok = 0, failed = 0;
        for (int it = 0; it < 1500; it++) {
            mt_frame f = {0};
            f.n = lcg(&seed) % 14;
            f.cols = 4 + lcg(&seed) % 3;
            if (lcg(&seed) % 50 == 0) f.cols = 3 + 4 * (lcg(&seed) % 2);
            for (size_t i = 0; i < f.n; i++) {
                double x = (double)(lcg(&seed) % 600), y = (double)(lcg(&seed) % 400);
                double *r = rows + i * f.cols;
                r[0] = x; r[1] = y; r[2] = x + 5 + lcg(&seed) % 80; r[3] = y + 5 + lcg(&seed) % 120;
                for (size_t c = 4; c < f.cols; c++) r[c] = c == 4 ? (double)(lcg(&seed) % 100) / 100.0 : (double)(lcg(&seed) % 3);
                if (lcg(&seed) % 25 == 0) r[lcg(&seed) % f.cols] = pick(&seed);
            }
            f.rows = f.n || lcg(&seed) % 2 ? rows : NULL;
            if (lcg(&seed) % 8 == 0) {
                f.warp_rows = 2 + lcg(&seed) % 2;
                for (int i = 0; i < 9; i++) warp[i] = (i % 4 == 0 ? 1.0 : 0.0) + (lcg(&seed) % 5 == 0 ? pick(&seed) : 0.01 * (double)(lcg(&seed) % 7));
                f.warp = warp;
            }
            if (lcg(&seed) % 4 == 0) {
                f.has_timestamp = 1;
                ts += lcg(&seed) % 10 == 0 ? pick(&seed) : 0.02 + 0.001 * (lcg(&seed) % 40);
                f.timestamp = ts;
            }
            if (needs_emb ? lcg(&seed) % 5 != 0 : lcg(&seed) % 5 == 0) {
                f.embedding_dim = 3 + (lcg(&seed) % 20 == 0);
                f.embedding_type = lcg(&seed) % 30 == 0 ? 7 : MT_EMB_FLOAT32;
                for (size_t i = 0; i < f.n * f.embedding_dim; i++)
                    emb[i] = lcg(&seed) % 40 == 0 ? (float)pick(&seed) : (float)(lcg(&seed) % 9) - 4.0f;
                f.embeddings = emb;
            }
            size_t len;
            unsigned char *st = state_of(t, &len);
            const double *out; size_t n;
            int s = mt_tracker_update(t, &f, &out, &n);
            if (s == MT_OK) {
                ok++;
                for (size_t i = 0; i < n; i++)
                    if (out[8 * i + 7] >= (double)f.n) bad_kept++;
            } else {
                failed++;
                int has_message = mt_tracker_last_error(t)[0] != 0;
                if (!has_message || n != 0 || !same_state(t, st, len)) bad_kept++;
            }
            free(st);
        }
        CHECK(bad_kept == 0 && ok > 100 && failed > 100, "%s input fuzz: %d ok, %d failed, %d broken", name, ok,
              failed, bad_kept);
        mt_tracker_destroy(t);
    }
}

/* ------------------------------------------------------------------ golden replay */
typedef struct rd {
    const unsigned char *p, *end;
    int bad;
} rd;

static void get(rd *r, void *dst, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p, n);
    r->p += n;
}
static uint32_t u32(rd *r) { uint32_t v; get(r, &v, 4); return v; }
static double f64(rd *r) { double v; get(r, &v, 8); return v; }
static char *str(rd *r)
{
    uint32_t n = u32(r);
    if (r->bad || n > 4096) { r->bad = 1; return calloc(1, 1); }
    char *s = calloc(1, n + 1);
    get(r, s, n);
    return s;
}

/* a decoder golden file (b"MTDECO01"): decode with the C library, compare the rows */
static int replay_decoder(rd *r, const char *path)
{
    uint32_t kind = u32(r);
    mt_decoder *d = NULL;
    mt_decoder_create(&d);
    const double *out = NULL;
    size_t n = 0;
    int s;
    unsigned char mask[256];
    if (kind == 0) {
        uint32_t dtype = u32(r), rows = u32(r), cols = u32(r);
        size_t el = dtype == MT_DTYPE_FLOAT32 ? 4 : 1;
        void *t = malloc((size_t)rows * cols * el + 8);
        get(r, t, (size_t)rows * cols * el);
        mt_yolov5_options o;
        mt_yolov5_default_options(&o);
        o.frame_width = f64(r); o.frame_height = f64(r); o.scale = f64(r); o.zero_point = f64(r);
        o.score_threshold = f64(r); o.iou_threshold = f64(r);
        uint32_t ml = u32(r);
        if (ml > sizeof mask) r->bad = 1;
        get(r, mask, ml > sizeof mask ? 0 : ml);
        o.class_mask = ml ? mask : NULL;
        o.class_mask_len = ml;
        o.letterbox = (int)u32(r);
        o.input_width = f64(r); o.input_height = f64(r);
        get(r, &o.max_detections, 8);
        o.score_obj_only = (int)u32(r);
        s = mt_decode_yolov5(d, t, (int)dtype, rows, cols, &o, &out, &n);
        free(t);
    } else {
        uint32_t nn = u32(r);
        float *b = malloc(nn * 16 + 4), *c = malloc(nn * 4 + 4), *sc = malloc(nn * 4 + 4), cnt;
        get(r, b, nn * 16); get(r, c, nn * 4); get(r, sc, nn * 4); get(r, &cnt, 4);
        mt_ssd_options o;
        mt_ssd_default_options(&o);
        o.frame_width = f64(r); o.frame_height = f64(r); o.score_threshold = f64(r);
        uint32_t ml = u32(r);
        if (ml > sizeof mask) r->bad = 1;
        get(r, mask, ml > sizeof mask ? 0 : ml);
        o.class_mask = ml ? mask : NULL;
        o.class_mask_len = ml;
        s = mt_decode_ssd(d, b, c, sc, &cnt, nn, &o, &out, &n);
        free(b); free(c); free(sc);
    }
    uint32_t ok = u32(r), k = u32(r);
    double *want = malloc(k * 48 + 8);
    get(r, want, k * 48);
    int good = !r->bad && (ok ? (s == MT_OK && n == k && (k == 0 || memcmp(out, want, k * 48) == 0))
                              : (s != MT_OK && strlen(mt_decoder_last_error(d)) > 0));
    if (!good)
        fprintf(stderr, "FAIL %s: status %d (%s), %zu rows, want ok=%u %u rows\n", path, s, mt_decoder_last_error(d), n,
                ok, k);
    free(want);
    mt_decoder_destroy(d);
    return good ? 0 : 1;
}

/* dense assignment problems (b"MTLSA001") against SciPy's pairs */
static int replay_lsa(rd *r, const char *path, int *n)
{
    uint32_t count = u32(r);
    mt_assign_ws w = {0};
    int bad = 0;
    for (uint32_t q = 0; q < count && !r->bad; q++) {
        uint32_t nr = u32(r), nc = u32(r);
        if (nr > 64 || nc > 64) { r->bad = 1; break; }
        double c[64 * 64];
        get(r, c, (size_t)nr * nc * 8);
        uint32_t k = u32(r);
        if (k > 64) { r->bad = 1; break; }
        int64_t wr[64], wc[64], gr[64], gc[64], np_ = -1;
        get(r, wr, k * 8);
        get(r, wc, k * 8);
        int s = mt_linear_sum_assignment(&w, c, nr, nc, gr, gc, &np_);
        if (s || np_ != (int64_t)k || memcmp(gr, wr, k * 8) || memcmp(gc, wc, k * 8)) {
            bad = 1;
            fprintf(stderr, "FAIL %s problem %u (%ux%u): status %d, %lld pairs\n", path, q, nr, nc, s, (long long)np_);
        }
    }
    mt_assign_ws_free(&w);
    *n = (int)count;
    return bad || r->bad;
}

/* the Python registry's parameters and defaults (b"MTPARA01") against the C tables: every
 * Python parameter exists in C with the same default; C adds only max_detections.  Trackers
 * this build does not implement (create returns MT_ERR_UNSUPPORTED) are skipped. */
static int replay_params(rd *r, const char *path, int *n)
{
    uint32_t count = u32(r);
    int bad = 0;
    *n = 0;
    for (uint32_t q = 0; q < count && !r->bad; q++) {
        char *name = str(r);
        uint32_t np = u32(r);
        mt_tracker *t = NULL;
        char err[256];
        int s = mt_tracker_create(name, NULL, 0, &t, err, sizeof err);
        const mt_param_info *pi = NULL;
        size_t cnp = 0;
        int have = s == MT_OK && mt_tracker_params(name, &pi, &cnp, err, sizeof err) == MT_OK;
        if (s != MT_OK && s != MT_ERR_UNSUPPORTED && s != MT_ERR_UNKNOWN_TRACKER) {
            bad = 1;
            fprintf(stderr, "FAIL %s: %s cannot be created with its defaults: %s\n", path, name, err);
        }
        if (have) {
            (*n)++;
            if (cnp != np + 1) {
                bad = 1;
                fprintf(stderr, "FAIL %s: %s has %zu C parameters, Python %u (+ max_detections)\n", path, name, cnp, np);
            }
        }
        for (uint32_t i = 0; i < np; i++) {
            char *pn = str(r);
            unsigned char is_text; get(r, &is_text, 1);
            double v = f64(r);
            char *text = str(r);
            if (have) {
                size_t j = 0;
                while (j < cnp && strcmp(pi[j].name, pn) != 0) j++;
                int same = j < cnp && (is_text ? pi[j].type == MT_PARAM_CHOICE && pi[j].default_text
                                                    && strcmp(pi[j].default_text, text) == 0
                                               : pi[j].type != MT_PARAM_CHOICE && pi[j].default_value == v);
                if (!same) {
                    bad = 1;
                    fprintf(stderr, "FAIL %s: %s parameter %s: Python default %s%g, C %s\n", path, name, pn,
                            is_text ? text : "", is_text ? 0.0 : v, j < cnp ? "differs" : "missing");
                }
            }
            free(pn); free(text);
        }
        mt_tracker_destroy(t);
        free(name);
    }
    return bad || r->bad;
}

static int replay(const char *path, int *n_frames)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len);
    if (fread(buf, 1, (size_t)len, fp) != (size_t)len) { fclose(fp); free(buf); return -1; }
    fclose(fp);
    if (len >= 8 && memcmp(buf, "MTPARA01", 8) == 0) {
        rd pr = {buf + 8, buf + len, 0};
        int res = replay_params(&pr, path, n_frames);
        free(buf);
        return res;
    }
    if (len >= 8 && memcmp(buf, "MTLSA001", 8) == 0) {
        rd lr = {buf + 8, buf + len, 0};
        int res = replay_lsa(&lr, path, n_frames);
        free(buf);
        return res;
    }
    if (len >= 8 && memcmp(buf, "MTDECO01", 8) == 0) {
        rd dr = {buf + 8, buf + len, 0};
        *n_frames = 1;
        int res = replay_decoder(&dr, path);
        free(buf);
        return res;
    }
    rd r = {buf + 8, buf + len, len < 8 || memcmp(buf, "MTGOLD01", 8) != 0};
    char *name = str(&r);
    uint32_t np = u32(&r);
    mt_param params[32];
    char *pnames[32], *ptexts[32];
    for (uint32_t i = 0; i < np && i < 32; i++) {
        pnames[i] = str(&r);
        unsigned char is_text; get(&r, &is_text, 1);
        double v = f64(&r);
        ptexts[i] = str(&r);
        params[i].name = pnames[i];
        params[i].value = v;
        params[i].text = is_text ? ptexts[i] : NULL;
    }
    int ok = 1, restored = 0;
    mt_tracker *t = make(name, params, np);
    uint32_t nf = u32(&r);
    *n_frames = (int)nf;
    const unsigned char *frames_at = r.p;
    /* pass 0: the golden run (with its save / restore points); pass 1 (files without a
     * restore): reset, then the same frames again -- the same outputs, and no allocation */
    for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
        if (restored || !ok || r.bad || !t)
            break;
        r.p = frames_at;
        mt_tracker_reset(t);
        allocations = 0;
    }
    for (uint32_t k = 0; k < nf && ok && !r.bad && t; k++) {
        uint32_t flags = u32(&r);
        mt_frame f = {0};
        f.timestamp = f64(&r);
        f.has_timestamp = flags & 1;
        f.warp_rows = (int)u32(&r);
        double warp[9];
        for (int i = 0; i < 9; i++) warp[i] = f64(&r);
        if (flags & 2) f.warp = warp;
        f.n = u32(&r);
        f.cols = u32(&r);
        f.rows = (const double *)r.p;
        double *rows = malloc(f.n * f.cols * 8 + 8);
        get(&r, rows, f.n * f.cols * 8);
        f.rows = rows;
        void *emb = NULL;
        if (flags & 4) {
            f.embedding_dim = u32(&r);
            f.embedding_type = (int)u32(&r);
            f.embedding_scale = f64(&r);
            f.embedding_zero_point = f64(&r);
            size_t el = f.embedding_type == MT_EMB_FLOAT32 ? 4 : f.embedding_type == MT_EMB_FLOAT64 ? 8 : 1;
            emb = malloc(f.n * f.embedding_dim * el + 8);
            get(&r, emb, f.n * f.embedding_dim * el);
            f.embeddings = emb;
        }
        uint32_t m = u32(&r);
        double *want = malloc(m * 64 + 8);
        get(&r, want, m * 64);
        uint32_t ni = u32(&r);
        int64_t *want_ids = malloc(ni * 8 + 8);
        get(&r, want_ids, ni * 8);
        if ((flags & 8) && pass == 0) {  /* save, then continue in a tracker restored from it */
            restored = 1;
            size_t slen;
            unsigned char *st = state_of(t, &slen);
            mt_tracker *t2 = NULL;
            char err[256];
            int s = (k % 2) ? mt_tracker_from_state(st, slen, &t2, err, sizeof err)
                            : (mt_tracker_create(name, params, np, &t2, err, sizeof err) || mt_tracker_restore(t2, st, slen));
            CHECK(s == MT_OK && t2, "%s frame %u: restore failed: %s", path, k, t2 ? mt_tracker_last_error(t2) : err);
            if (s == MT_OK && t2) { mt_tracker_destroy(t); t = t2; }
            free(st);
        }
        const double *out; size_t n;
        counting = pass;
        int s = mt_tracker_update(t, &f, &out, &n);
        counting = 0;
        if (s != MT_OK || n != m || (m && memcmp(out, want, m * 64) != 0)) {
            ok = 0;
            fprintf(stderr, "FAIL %s frame %u: status %d (%s), %zu rows, want %u\n", path, k + 1, s,
                    mt_tracker_last_error(t), n, m);
            for (size_t i = 0; i < n && i < m; i++)
                if (memcmp(out + 8 * i, want + 8 * i, 64) != 0) {
                    fprintf(stderr, "  row %zu: got  %.17g %.17g %.17g %.17g %g %.17g %g %g\n", i, out[8 * i], out[8 * i + 1],
                            out[8 * i + 2], out[8 * i + 3], out[8 * i + 4], out[8 * i + 5], out[8 * i + 6], out[8 * i + 7]);
                    fprintf(stderr, "          want %.17g %.17g %.17g %.17g %g %.17g %g %g\n", want[8 * i], want[8 * i + 1],
                            want[8 * i + 2], want[8 * i + 3], want[8 * i + 4], want[8 * i + 5], want[8 * i + 6], want[8 * i + 7]);
                    break;
                }
        }
        const int64_t *ids; size_t nid;
        counting = pass;
        int s_ids = mt_tracker_track_ids(t, &ids, &nid);
        counting = 0;
        if (ok && (s_ids != MT_OK || nid != ni || (ni && memcmp(ids, want_ids, ni * 8)))) {
            ok = 0;
            fprintf(stderr, "FAIL %s frame %u: track ids differ (%zu vs %u)\n", path, k + 1, nid, ni);
        }
        free(rows); free(emb); free(want); free(want_ids);
    }
    if (pass == 1 && allocations != 0) {
        ok = 0;
        fprintf(stderr, "FAIL %s: %ld allocations in the second pass (after reset, warmed up)\n", path, allocations);
    }
    }
    if (r.bad) { ok = 0; fprintf(stderr, "FAIL %s: malformed golden file\n", path); }
    mt_tracker_destroy(t);
    for (uint32_t i = 0; i < np && i < 32; i++) { free(pnames[i]); free(ptexts[i]); }
    free(name);
    free(buf);
    return ok ? 0 : 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv)
{
    test_sort_hand();
    test_bytetrack_hand();
    test_errors();
    test_domain_bounds();
    test_state_fuzz();
    test_input_fuzz();
    printf("hand-worked and error tests: %d checks, %d failures\n", checks, failures);
    if (argc < 2)
        return failures ? 1 : 0;
    DIR *dir = opendir(argv[1]);
    if (!dir) { fprintf(stderr, "cannot open %s\n", argv[1]); return 2; }
    char *files[4096];
    int nfiles = 0;
    struct dirent *de;
    while ((de = readdir(dir)) && nfiles < 4096) {
        size_t l = strlen(de->d_name);
        if (l < 8 || strcmp(de->d_name + l - 7, ".golden") != 0) continue;
        int want = argc == 2;
        for (int a = 2; a < argc; a++) {
            size_t al = strlen(argv[a]);
            if (strncmp(de->d_name, argv[a], al) == 0 && strncmp(de->d_name + al, "__", 2) == 0) want = 1;
        }
        if (want) files[nfiles++] = strdup(de->d_name);
    }
    closedir(dir);
    qsort(files, (size_t)nfiles, sizeof *files, cmp_str);
    int golden_fail = 0, total_frames = 0;
    for (int i = 0; i < nfiles; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], files[i]);
        int nfr = 0;
        int s = replay(path, &nfr);
        total_frames += nfr;
        printf("%s %s (%d frames)\n", s == 0 ? "identical" : "DIFFERENT", files[i], nfr);
        golden_fail += s != 0;
        free(files[i]);
    }
    printf("golden replay: %d files, %d frames, %d differ; byte for byte\n", nfiles, total_frames, golden_fail);
    if (nfiles == 0) { fprintf(stderr, "no golden files found in %s\n", argv[1]); return 2; }
    return failures || golden_fail ? 1 : 0;
}
