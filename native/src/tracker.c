/* tracker.c -- the public tracker API: parameters, input validation, the clock, update,
 * ids, state buffers (mottrack/trackers/base.py, mottrack/detections.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MT_VERSION "0.1.0"
#define STATE_VERSION 1u
static const char STATE_MAGIC[8] = {'M', 'T', 'S', 'T', 'A', 'T', 'E', 0};

const char *mt_version(void) { return MT_VERSION; }

const char *mt_status_name(int s)
{
    static const char *const names[] = {"MT_OK", "MT_ERR_NULL", "MT_ERR_ARG", "MT_ERR_UNKNOWN_TRACKER",
                                        "MT_ERR_UNKNOWN_PARAM", "MT_ERR_NOMEM", "MT_ERR_STATE",
                                        "MT_ERR_TOO_SMALL", "MT_ERR_UNSUPPORTED", "MT_ERR_TOO_MANY"};
    return s >= 0 && s < (int)(sizeof names / sizeof names[0]) ? names[s] : "unknown";
}

static int fail_buf(char *err, size_t len, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mt_fmt(err, len, fmt, ap);
    va_end(ap);
    return status;
}

/* ------------------------------------------------------------------ registry */
mt_status mt_tracker_names(const char **names, size_t cap, size_t *count)
{
    if (!count || (!names && cap))
        return MT_ERR_NULL;
    for (size_t i = 0; i < mt_n_kinds && i < cap; i++)
        names[i] = mt_kinds[i]->name;
    *count = mt_n_kinds;
    return MT_OK;
}

static const mt_kind *find_kind(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < mt_n_kinds; i++)
        if (strcmp(mt_kinds[i]->name, name) == 0)
            return mt_kinds[i];
    return NULL;
}

static int unknown_tracker(char *err, size_t len, const char *name)
{
    char list[128] = "";
    for (size_t i = 0; i < mt_n_kinds; i++) {
        strncat(list, mt_kinds[i]->name, sizeof list - strlen(list) - 1);
        if (i + 1 < mt_n_kinds)
            strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    return fail_buf(err, len, MT_ERR_UNKNOWN_TRACKER, "unknown tracker '%.40s'; available: %s",
                    name ? name : "(null)", list);
}

mt_status mt_tracker_params(const char *name, const mt_param_info **params, size_t *count, char *err,
                            size_t err_len)
{
    if (!name || !params || !count)
        return fail_buf(err, err_len, MT_ERR_NULL, "mt_tracker_params: name, params and count must not be NULL");
    const mt_kind *k = find_kind(name);
    if (!k)
        return unknown_tracker(err, err_len, name);
    *params = k->params;
    *count = k->n_params;
    return MT_OK;
}

int mt_param_index(const mt_kind *k, const char *name)
{
    for (size_t i = 0; i < k->n_params; i++)
        if (strcmp(k->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

double mt_param_value(const mt_tracker *t, const char *name)
{
    int i = mt_param_index(t->kind, name);
    return i < 0 ? NAN : t->p[i];
}

/* Choice index of `text` in "a|b|c", or -1. */
static int choice_index(const char *choices, const char *text)
{
    size_t len = strlen(text);
    int idx = 0;
    const char *s = choices;
    while (*s) {
        const char *e = strchr(s, '|');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == len && strncmp(s, text, l) == 0)
            return idx;
        idx++;
        if (!e)
            break;
        s = e + 1;
    }
    return -1;
}

/* Number of choices in "a|b|c". */
static int n_choices(const char *choices)
{
    int n = 1;
    for (const char *s = choices; *s; s++)
        n += *s == '|';
    return n;
}

/* mottrack.trackers.base.check_number */
static int check_value(const mt_param_info *pi, const mt_param *p, double *out, char *err, size_t len)
{
    if (pi->type == MT_PARAM_CHOICE) {
        if (!p->text)
            return fail_buf(err, len, MT_ERR_ARG, "%s: expected one of '%s' as text", pi->name, pi->choices);
        int i = choice_index(pi->choices, p->text);
        if (i < 0)
            return fail_buf(err, len, MT_ERR_ARG, "%s: expected one of '%s'; got '%.40s'", pi->name,
                            pi->choices, p->text);
        *out = (double)i;
        return MT_OK;
    }
    if (p->text)
        return fail_buf(err, len, MT_ERR_ARG, "%s: expected a number (value), not text", pi->name);
    double v = p->value;
    if (pi->type == MT_PARAM_BOOL) {
        if (v != 0.0 && v != 1.0)
            return fail_buf(err, len, MT_ERR_ARG, "%s: expected a bool (0 or 1); got %.17g", pi->name, v);
        *out = v;
        return MT_OK;
    }
    if (pi->type == MT_PARAM_INT) {
        if (!(isfinite(v) && v == floor(v)))
            return fail_buf(err, len, MT_ERR_ARG, "%s: expected a whole number; got %.17g", pi->name, v);
        if (!(v >= -9.2233720368547758e18 && v < 9.2233720368547758e18))
            return fail_buf(err, len, MT_ERR_ARG, "%s: expected a whole number within int64; got %.17g",
                            pi->name, v);
    } else if (!isfinite(v) && !(pi->high == HUGE_VAL && v == HUGE_VAL)) {
        return fail_buf(err, len, MT_ERR_ARG, "%s: expected a finite number; got %.17g", pi->name, v);
    }
    if (v < pi->low || (pi->low_open && v == pi->low) || v > pi->high)
        return fail_buf(err, len, MT_ERR_ARG, "%s: expected a value in %s%.16g, %.16g]; got %.17g", pi->name,
                        pi->low_open ? "(" : "[", pi->low, pi->high, v);
    *out = v;
    return MT_OK;
}

static void free_tracker(mt_tracker *t)
{
    if (!t)
        return;
    if (t->impl && t->kind->destroy)
        t->kind->destroy(t);
    free(t->impl);
    free(t->p);
    free(t->out);
    free(t->boxes);
    free(t->scores);
    free(t->classes);
    free(t->rowmap);
    free(t->emb);
    free(t->ids);
    free(t);
}

/* A tracker of kind k with parameter values p (validated); runs kind->init. */
static int new_tracker(const mt_kind *k, const double *p, mt_tracker **out, char *err, size_t len)
{
    mt_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return fail_buf(err, len, MT_ERR_NOMEM, "out of memory");
    t->kind = k;
    t->p = malloc(k->n_params * sizeof *t->p);
    if (!t->p) {
        free_tracker(t);
        return fail_buf(err, len, MT_ERR_NOMEM, "out of memory");
    }
    memcpy(t->p, p, k->n_params * sizeof *p);
    t->frame_rate = mt_param_value(t, "frame_rate");
    if (!(t->frame_rate >= MT_MIN_FRAME_RATE && t->frame_rate <= MT_MAX_FRAME_RATE)) {
        /* (every kind's table has this range; a kind whose table has not is held here) */
        fail_buf(err, len, MT_ERR_ARG, "frame_rate: expected a value in [%.16g, %.16g]; got %.17g",
                 MT_MIN_FRAME_RATE, MT_MAX_FRAME_RATE, t->frame_rate);
        free_tracker(t);
        return MT_ERR_ARG;
    }
    t->per_class = mt_param_value(t, "per_class") != 0.0;
    t->output_box = (int)mt_param_value(t, "output_box");
    t->max_detections = (int64_t)mt_param_value(t, "max_detections");
    int s = k->init(t);
    if (s != MT_OK) {
        fail_buf(err, len, s, "%s", t->err);
        free_tracker(t);
        return s;
    }
    *out = t;
    return MT_OK;
}

mt_status mt_tracker_create(const char *name, const mt_param *params, size_t n_params, mt_tracker **out,
                            char *err, size_t err_len)
{
    if (out)
        *out = NULL;
    if (!name || !out || (n_params && !params))
        return fail_buf(err, err_len, MT_ERR_NULL, "mt_tracker_create: name and out must not be NULL "
                        "(params may be NULL only when n_params is 0)");
    const mt_kind *k = find_kind(name);
    if (!k)
        return unknown_tracker(err, err_len, name);
    double p[64];
    unsigned char seen[64] = {0};
    if (k->n_params > 64)
        return fail_buf(err, err_len, MT_ERR_ARG, "internal: too many parameters");
    for (size_t i = 0; i < k->n_params; i++)
        p[i] = k->params[i].default_value;
    for (size_t j = 0; j < n_params; j++) {
        if (!params[j].name)
            return fail_buf(err, err_len, MT_ERR_NULL, "params[%zu].name is NULL", j);
        int i = mt_param_index(k, params[j].name);
        if (i < 0) {
            char list[512] = "";
            for (size_t q = 0; q < k->n_params; q++) {
                strncat(list, k->params[q].name, sizeof list - strlen(list) - 1);
                if (q + 1 < k->n_params)
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            return fail_buf(err, err_len, MT_ERR_UNKNOWN_PARAM, "%s: unknown parameter '%.40s'; valid: %s",
                            k->name, params[j].name, list);
        }
        if (seen[i])
            return fail_buf(err, err_len, MT_ERR_ARG, "%s: parameter '%s' given twice", k->name, params[j].name);
        seen[i] = 1;
        int s = check_value(&k->params[i], &params[j], &p[i], err, err_len);
        if (s != MT_OK)
            return s;
    }
    return new_tracker(k, p, out, err, err_len);
}

void mt_tracker_destroy(mt_tracker *t) { free_tracker(t); }

const char *mt_tracker_last_error(const mt_tracker *t)
{
    return t ? t->err : "tracker is NULL";
}

const char *mt_tracker_name(const mt_tracker *t) { return t ? t->kind->name : NULL; }

mt_status mt_tracker_get_param(mt_tracker *t, const char *name, double *value)
{
    if (!t || !name || !value)
        return t ? mt_fail(t, MT_ERR_NULL, "mt_tracker_get_param: name and value must not be NULL") : MT_ERR_NULL;
    t->err[0] = 0;
    if (strcmp(name, "max_detections") == 0) {
        *value = (double)t->max_detections;
        return MT_OK;
    }
    int i = mt_param_index(t->kind, name);
    if (i < 0)
        return mt_fail(t, MT_ERR_UNKNOWN_PARAM, "%s: unknown parameter '%.40s'", t->kind->name, name);
    *value = t->p[i];
    return MT_OK;
}

mt_status mt_tracker_set_max_detections(mt_tracker *t, int64_t m)
{
    if (!t)
        return MT_ERR_NULL;
    if (m < 0)
        return mt_fail(t, MT_ERR_ARG, "max_detections: expected a whole number >= 0; got %lld", (long long)m);
    t->max_detections = m;
    t->err[0] = 0;
    return MT_OK;
}

mt_status mt_tracker_counters(const mt_tracker *t, int64_t *frame_count, int64_t *dropped)
{
    if (!t)
        return MT_ERR_NULL;
    if (frame_count)
        *frame_count = t->frame_count;
    if (dropped)
        *dropped = t->dropped;
    return MT_OK;
}

mt_status mt_tracker_reset(mt_tracker *t)
{
    if (!t)
        return MT_ERR_NULL;
    t->frame_count = 0;
    t->has_last_ts = 0;
    t->last_ts = 0.0;
    t->broken = 0;
    t->kind->reset(t);
    t->err[0] = 0;
    return MT_OK;
}

mt_status mt_tracker_track_ids(mt_tracker *t, const int64_t **ids, size_t *count)
{
    if (!t || !ids || !count)
        return t ? mt_fail(t, MT_ERR_NULL, "mt_tracker_track_ids: ids and count must not be NULL") : MT_ERR_NULL;
    const mt_table *tb = t->kind->table(t);
    size_t n = (size_t)tb->n;
    if (MT_GROW(t->ids, t->ids_cap, n + 1))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        t->ids[i] = MT_I(tb, i, MT_ID);
    *ids = t->ids;
    *count = n;
    t->err[0] = 0;
    return MT_OK;
}

/* ------------------------------------------------------------------ camera warps */
/* mottrack.geometry.warp_scale: the singular values *lo <= *hi of the warp's linear part
 * h[0..1][0..1] (closed form, the same operations in the same order); returns 1 when both lie in
 * [1 / MT_MAX_WARP_SCALE, MT_MAX_WARP_SCALE] (0 also for NaN or inf from overflow). */
static int warp_scale_ok(const double h[9], double *lo, double *hi)
{
    /* scaled by the largest entry m (> 0: the warp is invertible) so that nothing overflows */
    double m = fmax(fmax(fabs(h[0]), fabs(h[1])), fmax(fabs(h[3]), fabs(h[4])));
    double a = h[0] / m, b = h[1] / m, c = h[3] / m, d = h[4] / m;
    double e = (a + d) / 2, f = (a - d) / 2, g = (c + b) / 2, k = (c - b) / 2;
    double q = sqrt(e * e + k * k), r = sqrt(f * f + g * g);
    *hi = m * (q + r);
    *lo = m * (fabs(a * d - b * c) / (q + r)); /* (not |q - r|, which cancels) */
    return *hi <= MT_MAX_WARP_SCALE && *lo >= 1.0 / MT_MAX_WARP_SCALE;
}

/* mottrack.geometry._promote_warp, then camera_warp's own checks (and warp_scale's bound). */
static int promote_warp(mt_tracker *t, const double *a, int rows, double out[9])
{
    if (rows != 2 && rows != 3)
        return mt_fail(t, MT_ERR_ARG, "camera_motion: expected shape (2, 3) (affine) or (3, 3) (homography); "
                       "got %d rows", rows);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            out[3 * i + j] = i < rows ? a[3 * i + j] : (i == j ? 1.0 : 0.0);
            if (!isfinite(out[3 * i + j]))
                return mt_fail(t, MT_ERR_ARG, "camera_motion: entries must be finite numbers");
        }
    double h22 = out[8];
    if (!(fabs(h22) > 1e-12))
        return mt_fail(t, MT_ERR_ARG, "camera_motion: a homography needs H[2, 2] != 0; got %.17g", h22);
    if (h22 != 1.0)
        for (int i = 0; i < 9; i++)
            out[i] = out[i] / h22;
    double det2 = out[0] * out[4] - out[1] * out[3];
    double det3 = (out[8] * det2 - out[7] * (out[0] * out[5] - out[2] * out[3])
                   + out[6] * (out[1] * out[5] - out[2] * out[4]));
    if (!(fabs(det3) > 1e-9 && fabs(det2) > 1e-9)
        /* the package then decides with numpy's LU determinant at 1e-12; the cofactor
         * expansion here agrees except within rounding of that bound */
        && !(fabs(det3) > 1e-12 && fabs(det2) > 1e-12))
        return mt_fail(t, MT_ERR_ARG, "camera_motion: the warp is singular (it maps the image onto a line or "
                       "point); expected an invertible warp");
    if ((out[6] != 0.0 || out[7] != 0.0)
        && !(fabs(out[6]) <= 1.0 && fabs(out[7]) <= 1.0 && fabs(out[2]) <= MT_MAX_COORDINATE
             && fabs(out[5]) <= MT_MAX_COORDINATE))
        return mt_fail(t, MT_ERR_ARG, "camera_motion: a homography needs |H[2, 0]|, |H[2, 1]| <= 1 and a "
                       "translation within +-1e+15 (after H[2, 2] = 1); got %.6g, %.6g and %.6g, %.6g", out[6],
                       out[7], out[2], out[5]);
    double lo, hi;
    if (!warp_scale_ok(out, &lo, &hi))
        return mt_fail(t, MT_ERR_ARG, "camera_motion: the warp scales by %.6g to %.6g (singular values of its "
                       "linear part); expected scales within [%.6g, %.6g] between two frames", lo, hi,
                       1.0 / MT_MAX_WARP_SCALE, MT_MAX_WARP_SCALE);
    return MT_OK;
}

/* ------------------------------------------------------------------ the clock */
/* mottrack.trackers.base.Tracker._time_step, without committing: returns the status,
 * the step in *dt and the new clock in *new_ts. */
static int time_step(mt_tracker *t, const mt_frame *f, double *dt, int *has_ts, double *new_ts)
{
    *has_ts = t->has_last_ts;
    *new_ts = t->last_ts;
    if (!f->has_timestamp && !t->has_last_ts) {
        *dt = 1.0;
        return MT_OK;
    }
    if (!f->has_timestamp) {
        *new_ts = t->last_ts + 1.0 / t->frame_rate;
        *dt = 1.0;
        return MT_OK;
    }
    double ts = f->timestamp;
    if (!isfinite(ts))
        return mt_fail(t, MT_ERR_ARG, "timestamp: expected a finite number of seconds; got %.17g", ts);
    *has_ts = 1;
    if (!t->has_last_ts) {
        *new_ts = ts;
        *dt = 1.0;
        return MT_OK;
    }
    double last = t->last_ts;
    if (ts <= last)
        return mt_fail(t, MT_ERR_ARG, "timestamp: must increase from frame to frame; got %.17g after %.17g", ts, last);
    double d = (ts - last) * t->frame_rate;
    if (!(d <= MT_MAX_TIME_STEP))
        return mt_fail(t, MT_ERR_ARG, "timestamp: %.17g is %.6g s (%.6g frames) after the previous frame; expected "
                       "at most MAX_TIME_STEP = 1e+15 frames (reset after a long outage)", ts, ts - last, d);
    *new_ts = ts;
    double whole = nearbyint(d); /* Python round(): half to even (default rounding mode) */
    *dt = (whole >= 1 && fabs(d - whole) < 1e-4) ? whole : d;
    return MT_OK;
}

/* ------------------------------------------------------------------ detections */
/* mottrack.detections.split_rows (xywh = False) into the tracker's buffers; returns the
 * status; *degenerate = rows with a side below MIN_BOX_SIDE. */
static int split_rows(mt_tracker *t, const double *a, size_t n, size_t k, size_t *degenerate)
{
    if (MT_GROW(t->boxes, t->boxes_cap, 4 * n + 4) || MT_GROW(t->scores, t->scores_cap, n + 1)
        || MT_GROW(t->classes, t->classes_cap, n + 1) || MT_GROW(t->rowmap, t->rowmap_cap, n + 1))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for %zu detections", n);
    size_t deg = 0;
    for (size_t i = 0; i < n; i++) {
        const double *r = a + i * k;
        for (size_t j = 0; j < k; j++)
            if (!isfinite(r[j]))
                return mt_fail(t, MT_ERR_ARG, "detections: row %zu, column %zu is %.17g; expected finite numbers",
                               i, j, r[j]);
        double x1 = r[0], y1 = r[1], x2 = r[2], y2 = r[3];
        if (x2 < x1)
            return mt_fail(t, MT_ERR_ARG, "detections: row %zu has x2 must be >= x1 (got %.17g < %.17g)", i, x2, x1);
        if (y2 < y1)
            return mt_fail(t, MT_ERR_ARG, "detections: row %zu has y2 must be >= y1 (got %.17g < %.17g)", i, y2, y1);
        if (fabs(x1) > MT_MAX_COORDINATE || fabs(x2) > MT_MAX_COORDINATE || fabs(y1) > MT_MAX_COORDINATE
            || fabs(y2) > MT_MAX_COORDINATE)
            return mt_fail(t, MT_ERR_ARG, "detections: row %zu has a coordinate beyond +-1e+15; expected box "
                           "coordinates of a real image", i);
        if (!(x2 - x1 >= MT_MIN_BOX_SIDE && y2 - y1 >= MT_MIN_BOX_SIDE))
            deg++;
        double *b = t->boxes + 4 * i;
        b[0] = x1; b[1] = y1; b[2] = x2; b[3] = y2;
        t->scores[i] = k > 4 ? r[4] : 1.0;
        t->classes[i] = -1;
        if (k > 5) {
            double c = r[5];
            if (c != floor(c) || c < -1.0 || c > 9.0e15)
                return mt_fail(t, MT_ERR_ARG, "detections: row %zu, column 5 (class id) is %.17g; expected a whole "
                               "number >= -1", i, c);
            t->classes[i] = (int64_t)c;
        }
    }
    *degenerate = deg;
    return MT_OK;
}

/* mottrack.detections._validate_embeddings into t->emb (float32 n x dim). */
static int convert_embeddings(mt_tracker *t, const mt_frame *f)
{
    size_t n = f->n, d = f->embedding_dim;
    if (!f->embeddings && n)
        return mt_fail(t, MT_ERR_NULL, "embeddings: pointer is NULL");
    if (d == 0)
        return mt_fail(t, MT_ERR_ARG, "embeddings: expected at least one feature per row (D >= 1); got D = 0");
    if (d > ((size_t)1 << 24) || (n && d > SIZE_MAX / n / sizeof(float)))
        return mt_fail(t, MT_ERR_ARG, "embeddings: dimension %zu is too large", d);
    if (MT_GROW(t->emb, t->emb_cap, n * d + 1))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for embeddings");
    int ty = f->embedding_type;
    if (ty == MT_EMB_INT8 || ty == MT_EMB_UINT8) {
        double scale = f->embedding_scale, zp = f->embedding_zero_point;
        if (!isfinite(scale) || scale <= 0)
            return mt_fail(t, MT_ERR_ARG, "embedding_quantization: scale must be finite and > 0; got %.17g", scale);
        if (!isfinite(zp) || zp != floor(zp) || fabs(zp) > 2147483648.0)
            return mt_fail(t, MT_ERR_ARG, "embedding_quantization: zero_point must be a whole number; got %.17g", zp);
        float fs = (float)scale, fz = (float)zp;
        for (size_t i = 0; i < n * d; i++) {
            float q = ty == MT_EMB_INT8 ? (float)((const int8_t *)f->embeddings)[i]
                                        : (float)((const uint8_t *)f->embeddings)[i];
            float v = (q - fz) * fs;
            if (!isfinite(v))
                return mt_fail(t, MT_ERR_ARG, "embedding_quantization: scale %.17g puts dequantised values beyond "
                               "float32 range; expected the model's (scale, zero_point)", scale);
            t->emb[i] = v;
        }
        return MT_OK;
    }
    if (ty == MT_EMB_FLOAT32) {
        const float *e = f->embeddings;
        for (size_t i = 0; i < n * d; i++) {
            if (!isfinite(e[i]))
                return mt_fail(t, MT_ERR_ARG, "embeddings: row %zu has non-finite values; expected finite numbers", i / d);
            t->emb[i] = e[i];
        }
        return MT_OK;
    }
    if (ty == MT_EMB_FLOAT64) {
        const double *e = f->embeddings;
        for (size_t i = 0; i < n * d; i++) {
            if (!(fabs(e[i]) <= 3.4028234663852886e38))
                return mt_fail(t, MT_ERR_ARG, "embeddings: row %zu has non-finite values or values beyond float32 "
                               "range; expected finite numbers", i / d);
            t->emb[i] = (float)e[i];
        }
        return MT_OK;
    }
    return mt_fail(t, MT_ERR_ARG, "embedding_type: expected MT_EMB_FLOAT32, FLOAT64, INT8 or UINT8; got %d", ty);
}

/* ------------------------------------------------------------------ update */
mt_status mt_tracker_update(mt_tracker *t, const mt_frame *f, const double **out_rows, size_t *out_n)
{
    if (out_n)
        *out_n = 0;
    if (out_rows)
        *out_rows = NULL;
    if (!t)
        return MT_ERR_NULL;
    if (!f || !out_rows || !out_n)
        return mt_fail(t, MT_ERR_NULL, "mt_tracker_update: frame, out_rows and out_n must not be NULL");
    if (t->broken)
        return mt_fail(t, MT_ERR_STATE, "tracker: an allocation failed during an earlier update; reset or restore it");
    double warp[9];
    const double *w = NULL;
    if (f->warp || f->warp_rows) {
        if (!(t->kind->flags & MT_KIND_WARP))
            return mt_fail(t, MT_ERR_UNSUPPORTED, "camera_motion: %s does not support camera motion", t->kind->name);
        if (!f->warp)
            return mt_fail(t, MT_ERR_NULL, "camera_motion: warp is NULL but warp_rows is %d", f->warp_rows);
        int s = promote_warp(t, f->warp, f->warp_rows, warp);
        if (s)
            return s;
        w = warp;
    }
    double dt = 1.0, new_ts = 0.0;
    int has_ts = 0;
    int s = time_step(t, f, &dt, &has_ts, &new_ts);
    if (s)
        return s;
    size_t n = f->n, k = f->cols;
    if (n && !f->rows)
        return mt_fail(t, MT_ERR_NULL, "detections: rows is NULL for n = %zu", n);
    if (n && (k < 4 || k > 6))
        return mt_fail(t, MT_ERR_ARG, "detections: expected shape (N, 4), (N, 5) or (N, 6) as x1, y1, x2, y2[, "
                       "score[, class_id]]; got (%zu, %zu)", n, k);
    if (n > (size_t)(SIZE_MAX / 64))
        return mt_fail(t, MT_ERR_TOO_MANY, "detections: %zu rows is beyond any limit", n);
    size_t deg = 0;
    s = split_rows(t, f->rows, n, k, &deg);
    if (s)
        return s;
    if ((uint64_t)n > (uint64_t)t->max_detections)
        return mt_fail(t, MT_ERR_TOO_MANY, "detections: %zu rows; %s takes at most max_detections = %lld per frame",
                       n, t->kind->name, (long long)t->max_detections);
    mt_input in = {n, t->boxes, t->scores, t->classes, NULL, 0};
    if (f->embedding_type != MT_EMB_NONE) {
        s = convert_embeddings(t, f);
        if (s)
            return s;
        if (t->kind->flags & (MT_KIND_EMB_OPTIONAL | MT_KIND_EMB_REQUIRED)) {
            in.emb = t->emb;
            in.dim = f->embedding_dim;
        }
    }
    if (deg) {  /* ignore boxes with a side below MIN_BOX_SIDE; det_index maps back */
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double *b = t->boxes + 4 * i;
            if (b[2] - b[0] >= MT_MIN_BOX_SIDE && b[3] - b[1] >= MT_MIN_BOX_SIDE) {
                if (m != i) {
                    memmove(t->boxes + 4 * m, b, 4 * sizeof *b);
                    t->scores[m] = t->scores[i];
                    t->classes[m] = t->classes[i];
                    if (in.emb)
                        memmove(t->emb + m * in.dim, t->emb + i * in.dim, in.dim * sizeof(float));
                }
                t->rowmap[m++] = (int64_t)i;
            }
        }
        in.n = m;
    }
    s = t->kind->prepare(t, &in);
    if (s)
        return s;
    const mt_table *tb = t->kind->table(t);
    if (MT_GROW(t->out, t->out_cap, 8 * ((size_t)tb->n + in.n + 1)))
        return mt_fail(t, MT_ERR_NOMEM, "out of memory for the output rows");
    /* commit the clock, then step */
    int64_t fc0 = t->frame_count;
    t->frame_count = fc0 + 1;
    t->has_last_ts = has_ts;
    t->last_ts = new_ts;
    t->dropped += (int64_t)deg;
    int64_t m = t->kind->step(t, &in, dt, w);
    if (m < 0) {
        t->broken = 1;
        return mt_fail(t, MT_ERR_NOMEM, "out of memory during the frame; reset or restore the tracker");
    }
    double *out = t->out;
    if (deg)
        for (int64_t i = 0; i < m; i++)
            if (out[8 * i + 7] >= 0)
                out[8 * i + 7] = (double)t->rowmap[(int64_t)out[8 * i + 7]];
    if (t->output_box == 1)
        for (int64_t i = 0; i < m; i++) {
            int64_t d = (int64_t)out[8 * i + 7];
            if (d >= 0)
                for (int c = 0; c < 4; c++)
                    out[8 * i + c] = f->rows[(size_t)d * k + (size_t)c];
        }
    *out_rows = out;
    *out_n = (size_t)m;
    t->err[0] = 0;
    return MT_OK;
}

/* ------------------------------------------------------------------ state */
static void save_all(const mt_tracker *t, mt_writer *w)
{
    mt_w_bytes(w, STATE_MAGIC, 8);
    mt_w_u32(w, STATE_VERSION);
    size_t at_len = w->len;
    mt_w_u32(w, 0); /* payload length, patched */
    size_t start = w->len;
    const char *name = t->kind->name;
    mt_w_u32(w, (uint32_t)strlen(name));
    mt_w_bytes(w, name, strlen(name));
    mt_w_u32(w, (uint32_t)t->kind->n_params);
    for (size_t i = 0; i < t->kind->n_params; i++)
        mt_w_f64(w, t->p[i]);
    mt_w_i64(w, t->max_detections);
    mt_w_i64(w, t->frame_count);
    mt_w_i64(w, t->dropped);
    mt_w_u32(w, (uint32_t)t->has_last_ts);
    mt_w_f64(w, t->last_ts);
    t->kind->save(t, w);
    uint32_t payload = (uint32_t)(w->len - start);
    if (w->buf && at_len + 4 <= w->cap)
        for (int i = 0; i < 4; i++)
            w->buf[at_len + (size_t)i] = (unsigned char)(payload >> (8 * i));
    uint32_t crc = w->buf && w->len <= w->cap ? mt_crc32(w->buf, w->len) : 0;
    mt_w_u32(w, crc);
}

mt_status mt_tracker_state_size(mt_tracker *t, size_t *size)
{
    if (!t || !size)
        return t ? mt_fail(t, MT_ERR_NULL, "mt_tracker_state_size: size must not be NULL") : MT_ERR_NULL;
    mt_writer w = {NULL, 0, 0};
    save_all(t, &w);
    *size = w.len;
    t->err[0] = 0;
    return MT_OK;
}

mt_status mt_tracker_save(mt_tracker *t, void *buf, size_t cap, size_t *written)
{
    if (!t || !written || (!buf && cap))
        return t ? mt_fail(t, MT_ERR_NULL, "mt_tracker_save: written must not be NULL (buf only when cap is 0)")
                 : MT_ERR_NULL;
    if (t->broken)
        return mt_fail(t, MT_ERR_STATE, "tracker: an allocation failed during an earlier update; nothing to save");
    mt_writer w = {NULL, 0, 0};
    save_all(t, &w);
    *written = w.len;
    if (w.len > cap)
        return mt_fail(t, MT_ERR_TOO_SMALL, "mt_tracker_save: the state takes %zu bytes; buffer has %zu", w.len, cap);
    if (w.len > 0xFFFFFFF0u)
        return mt_fail(t, MT_ERR_UNSUPPORTED, "mt_tracker_save: state of %zu bytes exceeds 4 GiB", w.len);
    mt_writer w2 = {buf, cap, 0};
    save_all(t, &w2);
    t->err[0] = 0;
    return MT_OK;
}

static int load_state(const void *buf, size_t len, mt_tracker **out, char *err)
{
    *out = NULL;
    const unsigned char *b = buf;
    mt_reader r = {b, len, 0, 0, err};
    if (len < 20 || memcmp(b, STATE_MAGIC, 8) != 0)
        return fail_buf(err, MT_ERRLEN, MT_ERR_STATE, "state: not a libmottrack state buffer (bad magic or %zu bytes)", len);
    r.pos = 8;
    uint32_t version = mt_r_u32(&r), payload = mt_r_u32(&r);
    if (version != STATE_VERSION)
        return fail_buf(err, MT_ERRLEN, MT_ERR_STATE, "state: format version %u; this library reads %u", version,
                        STATE_VERSION);
    if ((size_t)payload + 20 != len)
        return fail_buf(err, MT_ERRLEN, MT_ERR_STATE, "state: payload of %u bytes in a buffer of %zu", payload, len);
    uint32_t crc = (uint32_t)b[len - 4] | (uint32_t)b[len - 3] << 8 | (uint32_t)b[len - 2] << 16
                   | (uint32_t)b[len - 1] << 24;
    if (mt_crc32(b, len - 4) != crc)
        return fail_buf(err, MT_ERRLEN, MT_ERR_STATE, "state: checksum mismatch (corrupted or tampered buffer)");
    r.len = len - 4;
    uint32_t nl = mt_r_u32(&r);
    char name[33] = {0};
    if (nl > 32 || mt_r_bytes(&r, name, nl))
        return fail_buf(err, MT_ERRLEN, MT_ERR_STATE, "state: bad tracker name");
    const mt_kind *k = find_kind(name);
    if (!k)
        return fail_buf(err, MT_ERRLEN, MT_ERR_STATE, "state: unknown tracker '%s'", name);
    uint32_t np = mt_r_u32(&r);
    if (np != k->n_params || np > 64)
        return fail_buf(err, MT_ERRLEN, MT_ERR_STATE, "state: %u parameters for %s (expected %zu)", np, name, k->n_params);
    double p[64];
    for (uint32_t i = 0; i < np; i++) {
        p[i] = mt_r_f64(&r);
        mt_param q = {k->params[i].name, p[i], NULL};
        if (k->params[i].type == MT_PARAM_CHOICE) {
            if (!(p[i] >= 0 && p[i] < n_choices(k->params[i].choices) && p[i] == floor(p[i])))
                return fail_buf(err, MT_ERRLEN, MT_ERR_STATE, "state: parameter %s holds %.17g", k->params[i].name, p[i]);
            continue;
        }
        char e2[MT_ERRLEN];
        if (check_value(&k->params[i], &q, &p[i], e2, sizeof e2) != MT_OK)
            return fail_buf(err, MT_ERRLEN, MT_ERR_STATE, "state: %s", e2);
    }
    if (r.bad)
        return MT_ERR_STATE;
    mt_tracker *t = NULL;
    char e3[MT_ERRLEN];
    int s = new_tracker(k, p, &t, e3, sizeof e3);
    if (s)
        return fail_buf(err, MT_ERRLEN, s == MT_ERR_NOMEM ? s : MT_ERR_STATE, "state: %s", e3);
    t->max_detections = mt_r_i64(&r);
    t->frame_count = mt_r_i64(&r);
    t->dropped = mt_r_i64(&r);
    uint32_t has_ts = mt_r_u32(&r);
    t->last_ts = mt_r_f64(&r);
    if (!r.bad && (t->max_detections < 0 || t->frame_count < 0 || t->frame_count >= ((int64_t)1 << 62)
                   || t->dropped < 0 || t->dropped >= ((int64_t)1 << 62) || has_ts > 1 || (has_ts && !isfinite(t->last_ts))))
        mt_r_fail(&r, "state: a base field (max_detections, frame_count, dropped, clock) is out of range");
    t->has_last_ts = (int)has_ts;
    if (!r.bad)
        t->kind->load(t, &r);
    if (!r.bad && r.pos != r.len)
        mt_r_fail(&r, "state: %zu bytes left over after the tracker's state", r.len - r.pos);
    if (r.bad) {
        free_tracker(t);
        return MT_ERR_STATE;
    }
    *out = t;
    return MT_OK;
}

mt_status mt_tracker_from_state(const void *buf, size_t len, mt_tracker **out, char *err, size_t err_len)
{
    if (out)
        *out = NULL;
    if (!buf || !out)
        return fail_buf(err, err_len, MT_ERR_NULL, "mt_tracker_from_state: buf and out must not be NULL");
    char e[MT_ERRLEN] = "";
    int s = load_state(buf, len, out, e);
    if (s)
        fail_buf(err, err_len, s, "%s", e);
    return s;
}

mt_status mt_tracker_restore(mt_tracker *t, const void *buf, size_t len)
{
    if (!t)
        return MT_ERR_NULL;
    if (!buf)
        return mt_fail(t, MT_ERR_NULL, "mt_tracker_restore: buf must not be NULL");
    mt_tracker *n = NULL;
    char e[MT_ERRLEN] = "";
    int s = load_state(buf, len, &n, e);
    if (s)
        return mt_fail(t, s, "%s", e);
    if (n->kind != t->kind) {
        const char *nn = n->kind->name;
        free_tracker(n);
        return mt_fail(t, MT_ERR_STATE, "state: a %s state cannot be restored into a %s tracker", nn, t->kind->name);
    }
    mt_tracker tmp = *t;
    *t = *n;
    *n = tmp;
    free_tracker(n);
    t->err[0] = 0;
    return MT_OK;
}
