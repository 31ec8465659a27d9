/* decoders.c -- the YOLOv5 and SSD output-tensor decoders of mottrack/io/larod.py, value
 * for value (yolov5_to_detections with _yolo_kernel and geometry.nms; ssd_to_detections
 * with _ssd_kernel).  Output rows: x1, y1, x2, y2, score, class_id (float64). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct mt_decoder {
    double *cb; size_t cb_cap;     /* candidate boxes (normalised) x 4 */
    double *cs; size_t cs_cap;     /* candidate scores */
    int64_t *cc; size_t cc_cap;    /* candidate classes */
    int64_t *order, *tmp; size_t o_cap, t_cap;
    unsigned char *supp; size_t s_cap;
    double *out; size_t out_cap;   /* rows x 6 */
    char err[MT_ERRLEN];
};

static int dfail(mt_decoder *d, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mt_fmt(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    return status;
}

mt_status mt_decoder_create(mt_decoder **out)
{
    if (!out)
        return MT_ERR_NULL;
    *out = calloc(1, sizeof **out);
    return *out ? MT_OK : MT_ERR_NOMEM;
}

void mt_decoder_destroy(mt_decoder *d)
{
    if (!d)
        return;
    free(d->cb); free(d->cs); free(d->cc); free(d->order); free(d->tmp); free(d->supp); free(d->out);
    free(d);
}

const char *mt_decoder_last_error(const mt_decoder *d) { return d ? d->err : "decoder is NULL"; }

void mt_yolov5_default_options(mt_yolov5_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->scale = 1.0;
    o->zero_point = 0.0;
    o->score_threshold = 0.25;
    o->iou_threshold = 0.45;
    o->input_width = 640.0;
    o->input_height = 640.0;
    o->max_detections = 300;
}

void mt_ssd_default_options(mt_ssd_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->score_threshold = 0.5;
}

static int check_frame(mt_decoder *d, double w, double h, const char *field, double low)
{
    if (!(isfinite(w) && isfinite(h) && low < w && w <= MT_MAX_COORDINATE && low < h && h <= MT_MAX_COORDINATE))
        return dfail(d, MT_ERR_ARG, "%s: expected (width, height) > %g and <= 1e+15 pixels; got (%.17g, %.17g)", field,
                     low, w, h);
    return MT_OK;
}

static double raw_value(const void *t, int dtype, size_t i)
{
    if (dtype == MT_DTYPE_UINT8)
        return (double)((const uint8_t *)t)[i];
    if (dtype == MT_DTYPE_INT8)
        return (double)((const int8_t *)t)[i];
    return (double)((const float *)t)[i];
}

/* larod._raw_threshold: smallest raw q with (q - zero_point) * scale >= thr */
static double raw_threshold(double thr, double scale, double zp, double lo, double hi)
{
    double q = ceil(thr / scale + zp);
    q = mt_min(mt_max(q, lo - 1), hi + 1);
    while (q - 1 >= lo && ((q - 1) - zp) * scale >= thr)
        q -= 1;
    while (q <= hi && (q - zp) * scale < thr)
        q += 1;
    return q;
}

/* stable order of candidates by descending score (argsort(-scores, kind="mergesort")) */
static void order_by_score(int64_t *a, int64_t *tmp, size_t n, const double *s)
{
    for (size_t i = 0; i < n; i++)
        a[i] = (int64_t)i;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = -s[a[j]] < -s[a[i]] ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
}

static double clip(double v, double hi) { return mt_min(mt_max(v, 0.0), hi); }

mt_status mt_decode_yolov5(mt_decoder *d, const void *tensor, int dtype, size_t rows, size_t cols,
                           const mt_yolov5_options *o, const double **out_rows, size_t *out_n)
{
    if (out_n)
        *out_n = 0;
    if (!d)
        return MT_ERR_NULL;
    if (!o || !out_rows || !out_n || (!tensor && rows))
        return dfail(d, MT_ERR_NULL, "mt_decode_yolov5: tensor, options, out_rows and out_n must not be NULL");
    if (dtype != MT_DTYPE_UINT8 && dtype != MT_DTYPE_INT8 && dtype != MT_DTYPE_FLOAT32)
        return dfail(d, MT_ERR_ARG, "output: expected a uint8/int8 (quantised) or float32 tensor; got dtype %d", dtype);
    if (cols < 6 || rows > ((size_t)1 << 28) || cols > ((size_t)1 << 16) || (uint64_t)rows * cols > SIZE_MAX / 4)
        return dfail(d, MT_ERR_ARG, "output: expected shape [1, R, 5 + C] (e.g. [1, 25200, 85]); got [%zu, %zu]", rows, cols);
    int s = check_frame(d, o->frame_width, o->frame_height, "frame_size", 0.0);
    if (s)
        return s;
    double width = o->frame_width, height = o->frame_height;
    int integer = dtype != MT_DTYPE_FLOAT32;
    double scale = o->scale, zp = o->zero_point;
    if (!(isfinite(scale) && scale > 0))
        return dfail(d, MT_ERR_ARG, "quantization: scale must be finite and > 0; got %.17g", scale);
    double lo = dtype == MT_DTYPE_UINT8 ? 0.0 : -128.0, hi = dtype == MT_DTYPE_UINT8 ? 255.0 : 127.0;
    if (integer) {
        if (!(zp == floor(zp) && lo <= zp && zp <= hi))
            return dfail(d, MT_ERR_ARG, "quantization: zero_point must be a whole number in [%g, %g]; got %.17g", lo, hi, zp);
        double span = mt_max(zp - lo, hi - zp) * scale;
        if (!(span <= 1e6))
            return dfail(d, MT_ERR_ARG, "quantization: scale %.17g dequantises values to up to %.3g; expected normalised "
                         "coordinates and probabilities (|value| <= 1e+06)", scale, span);
    } else if (!isfinite(zp)) {
        return dfail(d, MT_ERR_ARG, "quantization: zero_point must be finite; got %.17g", zp);
    }
    double thr = o->score_threshold, iou_thr = o->iou_threshold;
    if (!(0.0 <= thr && thr <= 1.0))
        return dfail(d, MT_ERR_ARG, "score_threshold: expected a number in [0, 1]; got %.17g", thr);
    if (!(0.0 <= iou_thr && iou_thr <= 1.0))
        return dfail(d, MT_ERR_ARG, "iou_threshold: expected a number in [0, 1]; got %.17g", iou_thr);
    if (o->max_detections < 0 || o->max_detections > ((int64_t)1 << 31))
        return dfail(d, MT_ERR_ARG, "max_detections: expected an int in [0, 2**31]; got %lld", (long long)o->max_detections);
    if (o->class_mask_len && !o->class_mask)
        return dfail(d, MT_ERR_NULL, "class_mask is NULL but class_mask_len is %zu", o->class_mask_len);
    double sx, sy, ox, oy;
    if (o->letterbox) {
        s = check_frame(d, o->input_width, o->input_height, "input_size", 0.5);
        if (s)
            return s;
        double in_w = o->input_width, in_h = o->input_height;
        double r = mt_min(in_w / width, in_h / height);
        double pad_x = (in_w - width * r) / 2.0;
        double pad_y = (in_h - height * r) / 2.0;
        sx = in_w / r;
        sy = in_h / r;
        ox = -pad_x / r;
        oy = -pad_y / r;
    } else {
        sx = width; sy = height; ox = 0.0; oy = 0.0;
    }
    double raw_thr = integer ? raw_threshold(thr, scale, zp, lo, hi) : thr;
    size_t ncls = cols - 5, nmask = o->class_mask ? o->class_mask_len : 0;
    /* candidates (_yolo_kernel) */
    size_t n = 0;
    for (size_t i = 0; i < rows; i++) {
        size_t b = i * cols;
        double q_obj = raw_value(tensor, dtype, b + 4);
        if (q_obj < raw_thr)
            continue;
        size_t best = 0;
        double qbest = raw_value(tensor, dtype, b + 5);
        for (size_t j = 1; j < ncls; j++) {
            double q = raw_value(tensor, dtype, b + 5 + j);
            if (q > qbest) {
                qbest = q;
                best = j;
            }
        }
        if (nmask > 0 && (best >= nmask || !o->class_mask[best]))
            continue;
        double obj = (q_obj - zp) * scale;
        double score = o->score_obj_only ? obj : obj * ((qbest - zp) * scale);
        if (!(score >= thr) || !isfinite(score))
            continue;
        double cx = (raw_value(tensor, dtype, b) - zp) * scale;
        double cy = (raw_value(tensor, dtype, b + 1) - zp) * scale;
        double hw = 0.5 * (raw_value(tensor, dtype, b + 2) - zp) * scale;
        double hh = 0.5 * (raw_value(tensor, dtype, b + 3) - zp) * scale;
        if (!(isfinite(cx) && isfinite(cy) && isfinite(hw) && isfinite(hh)))
            continue;
        if (MT_GROW(d->cb, d->cb_cap, 4 * (n + 1)) || MT_GROW(d->cs, d->cs_cap, n + 1) || MT_GROW(d->cc, d->cc_cap, n + 1))
            return dfail(d, MT_ERR_NOMEM, "out of memory");
        d->cb[4 * n] = cx - hw;
        d->cb[4 * n + 1] = cy - hh;
        d->cb[4 * n + 2] = cx + hw;
        d->cb[4 * n + 3] = cy + hh;
        d->cs[n] = score;
        d->cc[n] = (int64_t)best;
        n++;
    }
    /* class-aware greedy NMS (geometry.nms) */
    if (MT_GROW(d->order, d->o_cap, n + 1) || MT_GROW(d->tmp, d->t_cap, n + 1) || MT_GROW(d->supp, d->s_cap, n + 1)
        || MT_GROW(d->out, d->out_cap, 6 * (n + 1)))
        return dfail(d, MT_ERR_NOMEM, "out of memory");
    order_by_score(d->order, d->tmp, n, d->cs);
    memset(d->supp, 0, n);
    size_t max_keep = (size_t)o->max_detections, k = 0;
    for (size_t a = 0; a < n; a++) {
        if (k >= max_keep)
            break;
        int64_t i = d->order[a];
        if (d->supp[i])
            continue;
        d->tmp[k++] = i;  /* kept rows (tmp is free after the sort) */
        const double *bi = d->cb + 4 * i;
        for (size_t bb = a + 1; bb < n; bb++) {
            int64_t j = d->order[bb];
            if (d->supp[j] || d->cc[j] != d->cc[i])
                continue;
            const double *bj = d->cb + 4 * j;
            if (mt_iou(bi[0], bi[1], bi[2], bi[3], bj[0], bj[1], bj[2], bj[3]) > iou_thr)
                d->supp[j] = 1;
        }
    }
    for (size_t r = 0; r < k; r++) {
        int64_t i = d->tmp[r];
        const double *c = d->cb + 4 * i;
        double x1 = c[0] * sx + ox, y1 = c[1] * sy + oy, x2 = c[2] * sx + ox, y2 = c[3] * sy + oy;
        if (x2 < x1) { double t = x1; x1 = x2; x2 = t; }
        if (y2 < y1) { double t = y1; y1 = y2; y2 = t; }
        double *out = d->out + 6 * r;
        out[0] = clip(x1, width);
        out[1] = clip(y1, height);
        out[2] = clip(x2, width);
        out[3] = clip(y2, height);
        out[4] = d->cs[i];
        out[5] = (double)d->cc[i];
    }
    *out_rows = d->out;
    *out_n = k;
    d->err[0] = 0;
    return MT_OK;
}

mt_status mt_decode_ssd(mt_decoder *d, const float *boxes, const float *classes, const float *scores,
                        const float *count, size_t n, const mt_ssd_options *o, const double **out_rows, size_t *out_n)
{
    if (out_n)
        *out_n = 0;
    if (!d)
        return MT_ERR_NULL;
    if (!o || !out_rows || !out_n || !count || (n && (!boxes || !classes || !scores)))
        return dfail(d, MT_ERR_NULL, "mt_decode_ssd: tensors, options, out_rows and out_n must not be NULL");
    if (n > ((size_t)1 << 28))
        return dfail(d, MT_ERR_ARG, "boxes: %zu rows is beyond any SSD output", n);
    double c = (double)count[0];
    if (!(c == c && c >= 0 && c <= (double)n && c == floor(c)))
        return dfail(d, MT_ERR_ARG, "count: %.17g is not a whole number in [0, %zu] (the tensors hold %zu rows)", c, n, n);
    int s = check_frame(d, o->frame_width, o->frame_height, "frame_size", 0.0);
    if (s)
        return s;
    double thr = o->score_threshold;
    if (thr != thr)
        return dfail(d, MT_ERR_ARG, "score_threshold: expected a number; got nan");
    if (o->class_mask_len && !o->class_mask)
        return dfail(d, MT_ERR_NULL, "class_mask is NULL but class_mask_len is %zu", o->class_mask_len);
    size_t cnt = (size_t)c, nmask = o->class_mask ? o->class_mask_len : 0;
    if (MT_GROW(d->out, d->out_cap, 6 * (cnt + 1)))
        return dfail(d, MT_ERR_NOMEM, "out of memory");
    double width = o->frame_width, height = o->frame_height;
    size_t k = 0, bad_score = (size_t)-1;
    for (size_t i = 0; i < cnt; i++) {
        double sc = (double)scores[i];
        if (!(sc >= thr))
            continue;
        double ci = (double)classes[i];
        if (!(ci >= 0.0 && ci == floor(ci) && ci < 2147483648.0))
            return dfail(d, MT_ERR_ARG, "classes: row %zu is %.9g; expected a whole number >= 0", i, ci);
        size_t cl = (size_t)ci;
        if (nmask > 0 && (cl >= nmask || !o->class_mask[cl]))
            continue;
        double y1 = (double)boxes[4 * i], x1 = (double)boxes[4 * i + 1];
        double y2 = (double)boxes[4 * i + 2], x2 = (double)boxes[4 * i + 3];
        if (!(isfinite(x1) && isfinite(y1) && isfinite(x2) && isfinite(y2)))
            return dfail(d, MT_ERR_ARG, "boxes: row %zu is not finite; expected finite numbers", i);
        if (x2 < x1) { double t = x1; x1 = x2; x2 = t; }
        if (y2 < y1) { double t = y1; y1 = y2; y2 = t; }
        if (!isfinite(sc) && bad_score == (size_t)-1)
            bad_score = k;  /* reported after the scan, as the package validates the result */
        double *out = d->out + 6 * k;
        out[0] = clip(x1 * width, width);
        out[1] = clip(y1 * height, height);
        out[2] = clip(x2 * width, width);
        out[3] = clip(y2 * height, height);
        out[4] = sc;
        out[5] = ci;
        k++;
    }
    if (bad_score != (size_t)-1)
        return dfail(d, MT_ERR_ARG, "ssd_to_detections: scores row %zu is %.9g; expected finite numbers", bad_score,
                     d->out[6 * bad_score + 4]);
    *out_rows = d->out;
    *out_n = k;
    d->err[0] = 0;
    return MT_OK;
}
