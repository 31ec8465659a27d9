/* kalman.c -- the Kalman filters of mottrack/kalman.py, operation for operation: SORT's
 * (u, v, s, r) with OC-SORT's snapshot and re-update, Hybrid-SORT's confidence (c, c'), the
 * (x, y, a, h) filter of DeepSORT / ByteTrack, BoT-SORT's (x, y, w, h), and the camera warps.  Covariances are full dim x dim row-major. */
#include <math.h>
#include <string.h>
#include "internal.h"

#define P7(i, j) P[(i) * 7 + (j)]
#define P8(i, j) P[(i) * 8 + (j)]

static const double XYSR_P0[7] = {10.0, 10.0, 10.0, 10.0, 10000.0, 10000.0, 10000.0};
static const double XYSR_Q[7] = {1.0, 1.0, 1.0, 1.0, 0.01, 0.01, 0.0001};
static const double XYSR_R[4] = {1.0, 1.0, 10.0, 10.0};
#define STD_WEIGHT_POSITION (1.0 / 20)
#define STD_WEIGHT_VELOCITY (1.0 / 160)

/* ------------------------------------------------------------------ shared 2x2 blocks */
static void block_predict(double *mean, double *P, int d, int k, int v, double dt, double qk, double qv)
{
    mean[k] += dt * mean[v];
    double a = P[k * d + k], b = P[k * d + v], c = P[v * d + v];
    double bc = b + dt * c;
    P[k * d + k] = a + dt * b + dt * bc + qk;
    P[k * d + v] = bc;
    P[v * d + k] = bc;
    P[v * d + v] = c + qv;
}

static void block_update_joseph(double *mean, double *P, int d, int k, int v, double r, double y)
{
    double a = P[k * d + k], b = P[k * d + v], c = P[v * d + v];
    double s = a + r;
    double g0 = a / s;
    double g1 = b / s;
    mean[k] += g0 * y;
    mean[v] += g1 * y;
    double m = 1.0 - g0;
    P[k * d + k] = m * m * a + g0 * g0 * r;
    double off = m * (b - g1 * a) + g0 * g1 * r;
    P[k * d + v] = off;
    P[v * d + k] = off;
    P[v * d + v] = g1 * g1 * a - 2.0 * g1 * b + c + g1 * g1 * r;
}

/* P <- P - K S K^T as DeepSORT computes it (kalman._block_update) */
static void block_update(double *mean, double *P, int d, int k, int v, double r, double y)
{
    double s = P[k * d + k] + r;
    double g0 = P[k * d + k] / s;
    double g1 = P[v * d + k] / s;
    mean[k] += g0 * y;
    mean[v] += g1 * y;
    P[k * d + k] -= g0 * s * g0;
    double off = P[k * d + v] - g0 * s * g1;
    P[k * d + v] = off;
    P[v * d + k] = off;
    P[v * d + v] -= g1 * s * g1;
}

/* ------------------------------------------------------------------ SORT (u, v, s, r) */
void mt_xysr_z(double x1, double y1, double x2, double y2, double h_eps, double z[4])
{
    double w = x2 - x1, h = y2 - y1;
    z[0] = x1 + w / 2.0;
    z[1] = y1 + h / 2.0;
    z[2] = w * h;
    z[3] = w / (h + h_eps);
}

void mt_xysr_initiate_z(double *mean, double *P, const double z[4])
{
    for (int k = 0; k < 4; k++)
        mean[k] = z[k];
    for (int k = 4; k < 7; k++)
        mean[k] = 0.0;
    for (int i = 0; i < 49; i++)
        P[i] = 0.0;
    for (int i = 0; i < 7; i++)
        P7(i, i) = XYSR_P0[i];
}

void mt_xysr_initiate(double *mean, double *P, double x1, double y1, double x2, double y2)
{
    double z[4];
    mt_xysr_z(x1, y1, x2, y2, 0.0, z);
    mt_xysr_initiate_z(mean, P, z);
}

void mt_xysr_predict_row(double *mean, double *P, double dt)
{
    for (int k = 0; k < 3; k++)
        block_predict(mean, P, 7, k, k + 4, dt, XYSR_Q[k] * dt, XYSR_Q[k + 4] * dt);
    P7(3, 3) += XYSR_Q[3] * dt;
}

void mt_xysr_predict(mt_table *tb, int64_t n, double dt)
{
    for (int64_t t = 0; t < n; t++) {
        double *m = MT_MEAN(tb, t);
        if (m[6] * dt + m[2] <= 0.0)
            m[6] = 0.0;
        mt_xysr_predict_row(m, MT_COV(tb, t), dt);
    }
}

void mt_xysr_box(const double *mean, double box[4])
{
    double s = mean[2], r = mean[3];
    double w = sqrt(s * r);
    double h = s / w;
    box[0] = mean[0] - w / 2.0;
    box[1] = mean[1] - h / 2.0;
    box[2] = mean[0] + w / 2.0;
    box[3] = mean[1] + h / 2.0;
}

void mt_xysr_update_z(double *mean, double *P, const double z[4])
{
    block_update_joseph(mean, P, 7, 0, 4, XYSR_R[0], z[0] - mean[0]);
    block_update_joseph(mean, P, 7, 1, 5, XYSR_R[1], z[1] - mean[1]);
    block_update_joseph(mean, P, 7, 2, 6, XYSR_R[2], z[2] - mean[2]);
    double p = P7(3, 3);
    double s = p + XYSR_R[3];
    double g = p / s;
    mean[3] += g * (z[3] - mean[3]);
    P7(3, 3) = (1.0 - g) * (1.0 - g) * p + g * g * XYSR_R[3];
}

void mt_xysr_update(double *mean, double *P, double x1, double y1, double x2, double y2)
{
    double z[4];
    mt_xysr_z(x1, y1, x2, y2, 0.0, z);
    mt_xysr_update_z(mean, P, z);
}

void mt_warp_point(const double H[9], double x, double y, double *xp_, double *yp_, double *a)
{
    double wz = H[6] * x + H[7] * y + H[8];
    double xn = H[0] * x + H[1] * y + H[2];
    double yn = H[3] * x + H[4] * y + H[5];
    double xp = xn / wz, yp = yn / wz;
    double j00 = (H[0] - xp * H[6]) / wz;
    double j01 = (H[1] - xp * H[7]) / wz;
    double j10 = (H[3] - yp * H[6]) / wz;
    double j11 = (H[4] - yp * H[7]) / wz;
    *xp_ = xp;
    *yp_ = yp;
    *a = fabs(j00 * j11 - j01 * j10);
}

void mt_warp_vector(const double H[9], double x, double y, double dx, double dy, double *ox, double *oy)
{
    double wz = H[6] * x + H[7] * y + H[8];
    double xp = (H[0] * x + H[1] * y + H[2]) / wz;
    double yp = (H[3] * x + H[4] * y + H[5]) / wz;
    *ox = ((H[0] - xp * H[6]) * dx + (H[1] - xp * H[7]) * dy) / wz;
    *oy = ((H[3] - yp * H[6]) * dx + (H[4] - yp * H[7]) * dy) / wz;
}

void mt_xysr_warp(double *mean, double *P, const double H[9])
{
    double u = mean[0], v = mean[1], du, dv, up, vp, a;
    mt_warp_vector(H, u, v, mean[4], mean[5], &du, &dv);
    mt_warp_point(H, u, v, &up, &vp, &a);
    mean[0] = up;
    mean[1] = vp;
    mean[4] = du;
    mean[5] = dv;
    mean[2] *= a;
    mean[6] *= a;
    for (int k = 0; k < 2; k++) {
        P7(k, k) *= a;
        P7(k, k + 4) *= a;
        P7(k + 4, k) *= a;
        P7(k + 4, k + 4) *= a;
    }
    double a2 = a * a;
    P7(2, 2) *= a2;
    P7(2, 6) *= a2;
    P7(6, 2) *= a2;
    P7(6, 6) *= a2;
}

/* kalman.xysr_save / xysr_load: the 7 means and the non-zero covariance blocks (17 numbers) */
void mt_xysr_save(const double *mean, const double *P, double *store)
{
    for (int k = 0; k < 7; k++) store[k] = mean[k];
    int c = 7;
    for (int k = 0; k < 3; k++) {
        store[c] = P[k * 7 + k];
        store[c + 1] = P[k * 7 + k + 4];
        store[c + 2] = P[(k + 4) * 7 + k + 4];
        c += 3;
    }
    store[c] = P[3 * 7 + 3];
}

void mt_xysr_load(double *mean, double *P, const double *store)
{
    for (int k = 0; k < 7; k++) mean[k] = store[k];
    for (int i = 0; i < 49; i++) P[i] = 0.0;
    int c = 7;
    for (int k = 0; k < 3; k++) {
        P[k * 7 + k] = store[c];
        P[k * 7 + k + 4] = store[c + 1];
        P[(k + 4) * 7 + k] = store[c + 1];
        P[(k + 4) * 7 + k + 4] = store[c + 2];
        c += 3;
    }
    P[3 * 7 + 3] = store[c];
}

/* kalman.xysr_reupdate_linear (OC-SORT's ORU): update along boxes interpolated in centre, width and
 * height over `steps` frames, predicting `dt` between them; the last virtual measurement to zo */
void mt_xysr_reupdate_linear(double *mean, double *P, const double z1[4], const double z2[4], int64_t steps,
                             double dt, double zo[4])
{
    double w1 = sqrt(z1[2] * z1[3]), h1 = sqrt(z1[2] / z1[3]);
    double w2 = sqrt(z2[2] * z2[3]), h2 = sqrt(z2[2] / z2[3]);
    double fs = (double)steps;
    double du = (z2[0] - z1[0]) / fs, dv = (z2[1] - z1[1]) / fs;
    double dw = (w2 - w1) / fs, dh = (h2 - h1) / fs;
    double z[4] = {z1[0], z1[1], z1[2], z1[3]};
    for (int64_t i = 0; i < steps; i++) {
        double k = (double)(i + 1);
        z[0] = z1[0] + k * du;
        z[1] = z1[1] + k * dv;
        double w = w1 + k * dw;
        double h = h1 + k * dh;
        z[2] = w * h;
        z[3] = w / h;
        mt_xysr_update_z(mean, P, z);
        if (i != steps - 1)
            mt_xysr_predict_row(mean, P, dt);
    }
    memcpy(zo, z, sizeof z);
}

/* ------------------------------------------------------------------ confidence (c, c') */
/* Hybrid-SORT's track-confidence filter (kalman.conf_*): a constant-velocity filter over a
 * track's score c and its rate c'; mean m (2), covariance P (2 x 2 row-major). */
static const double CONF_P0[2] = {10.0, 10000.0};
static const double CONF_Q[2] = {1.0, 0.0001};
#define CONF_R 10.0

void mt_conf_initiate(double *m, double *P, double c)
{
    m[0] = c;
    m[1] = 0.0;
    P[0] = CONF_P0[0];
    P[1] = 0.0;
    P[2] = 0.0;
    P[3] = CONF_P0[1];
}

void mt_conf_predict_row(double *m, double *P, double dt)
{
    block_predict(m, P, 2, 0, 1, dt, CONF_Q[0] * dt, CONF_Q[1] * dt);
}

void mt_conf_update(double *m, double *P, double c)
{
    block_update_joseph(m, P, 2, 0, 1, CONF_R, c - m[0]);
}

void mt_conf_save(const double *m, const double *P, double *store)
{
    store[0] = m[0];
    store[1] = m[1];
    store[2] = P[0];
    store[3] = P[1];
    store[4] = P[3];
}

void mt_conf_load(double *m, double *P, const double *store)
{
    m[0] = store[0];
    m[1] = store[1];
    P[0] = store[2];
    P[1] = store[3];
    P[2] = store[3];
    P[3] = store[4];
}

double mt_conf_reupdate_linear(double *m, double *P, double c1, double c2, int64_t steps, double dt)
{
    double dc = (c2 - c1) / (double)steps;
    double c = c1;
    for (int64_t i = 0; i < steps; i++) {
        c = c1 + (double)(i + 1) * dc;
        mt_conf_update(m, P, c);
        if (i != steps - 1)
            mt_conf_predict_row(m, P, dt);
    }
    return c;
}

/* ------------------------------------------------------------------ (x, y, a, h) */
void mt_xyah_initiate(double *mean, double *P, double x1, double y1, double x2, double y2)
{
    double w = x2 - x1, h = y2 - y1;
    mean[0] = x1 + w / 2.0;
    mean[1] = y1 + h / 2.0;
    mean[2] = w / h;
    mean[3] = h;
    for (int k = 4; k < 8; k++)
        mean[k] = 0.0;
    double sp = 2.0 * STD_WEIGHT_POSITION * h;
    double sv = 10.0 * STD_WEIGHT_VELOCITY * h;
    double std0 = sp, std2 = 1e-2, std6 = 1e-5;
    for (int i = 0; i < 64; i++)
        P[i] = 0.0;
    P8(0, 0) = std0 * std0;
    P8(1, 1) = sp * sp;
    P8(2, 2) = std2 * std2;
    P8(3, 3) = sp * sp;
    P8(4, 4) = sv * sv;
    P8(5, 5) = sv * sv;
    P8(6, 6) = std6 * std6;
    P8(7, 7) = sv * sv;
}

void mt_xyah_predict_row(double *mean, double *P, double dt)
{
    double h = mean[3];
    double sp = STD_WEIGHT_POSITION * h;
    double sv = STD_WEIGHT_VELOCITY * h;
    double qp = sp * sp * dt;
    double qv = sv * sv * dt;
    block_predict(mean, P, 8, 0, 4, dt, qp, qv);
    block_predict(mean, P, 8, 1, 5, dt, qp, qv);
    block_predict(mean, P, 8, 2, 6, dt, 1e-2 * 1e-2 * dt, 1e-5 * 1e-5 * dt);
    block_predict(mean, P, 8, 3, 7, dt, qp, qv);
}

void mt_xyah_update(double *mean, double *P, double x1, double y1, double x2, double y2)
{
    double w = x2 - x1, h = y2 - y1;
    double sp = STD_WEIGHT_POSITION * mean[3];
    double r = sp * sp;
    double y0 = x1 + w / 2.0 - mean[0];
    double y1_ = y1 + h / 2.0 - mean[1];
    double y2_ = w / h - mean[2];
    double y3 = h - mean[3];
    block_update(mean, P, 8, 0, 4, r, y0);
    block_update(mean, P, 8, 1, 5, r, y1_);
    block_update(mean, P, 8, 2, 6, 1e-1 * 1e-1, y2_);
    block_update(mean, P, 8, 3, 7, r, y3);
}

void mt_xyah_box(const double *mean, double box[4])
{
    double h = mean[3];
    double w = mean[2] * h;
    double x1 = mean[0] - w / 2.0;
    double y1 = mean[1] - h / 2.0;
    box[0] = x1;
    box[1] = y1;
    box[2] = x1 + w;
    box[3] = y1 + h;
}

/* ------------------------------------------------------------------ (x, y, w, h) */
void mt_xywh_initiate(double *mean, double *P, double x1, double y1, double x2, double y2)
{
    double w = x2 - x1, h = y2 - y1;
    mean[0] = x1 + w / 2.0;
    mean[1] = y1 + h / 2.0;
    mean[2] = w;
    mean[3] = h;
    for (int k = 4; k < 8; k++)
        mean[k] = 0.0;
    for (int i = 0; i < 64; i++)
        P[i] = 0.0;
    for (int k = 0; k < 4; k++) {
        double size = k % 2 == 0 ? w : h;
        double sp = 2.0 * STD_WEIGHT_POSITION * size;
        double sv = 10.0 * STD_WEIGHT_VELOCITY * size;
        P8(k, k) = sp * sp;
        P8(k + 4, k + 4) = sv * sv;
    }
}

void mt_xywh_predict_row(double *mean, double *P, double dt)
{
    double w = mean[2], h = mean[3];
    for (int k = 0; k < 4; k++)
        mean[k] += dt * mean[k + 4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            P8(i, j) += dt * P8(i + 4, j);
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 8; i++)
            P8(i, j) += dt * P8(i, j + 4);
    for (int k = 0; k < 4; k++) {
        double size = k % 2 == 0 ? w : h;
        double sp = STD_WEIGHT_POSITION * size;
        double sv = STD_WEIGHT_VELOCITY * size;
        P8(k, k) += sp * sp * dt;
        P8(k + 4, k + 4) += sv * sv * dt;
    }
    for (int i = 0; i < 8; i++)
        for (int j = i + 1; j < 8; j++)
            P8(j, i) = P8(i, j);
}

static void xywh_update_pair(double *mean, double *P, int p0, int p1, double r0, double r1, double y0, double y1)
{
    int v0 = p0 + 4, v1 = p1 + 4;
    if (P8(p0, p1) == 0.0 && P8(p0, v1) == 0.0 && P8(v0, p1) == 0.0 && P8(v0, v1) == 0.0) {
        block_update(mean, P, 8, p0, v0, r0, y0);
        block_update(mean, P, 8, p1, v1, r1, y1);
        return;
    }
    double s00 = P8(p0, p0) + r0;
    double s01 = P8(p0, p1);
    double s11 = P8(p1, p1) + r1;
    double det = s00 * s11 - s01 * s01;
    double i00 = s11 / det;
    double i01 = -s01 / det;
    double i11 = s00 / det;
    double c[8] = {P8(p0, p0), P8(p0, p1), P8(p1, p0), P8(p1, p1), P8(v0, p0), P8(v0, p1), P8(v1, p0), P8(v1, p1)};
    double k[8] = {c[0] * i00 + c[1] * i01, c[0] * i01 + c[1] * i11,
                   c[2] * i00 + c[3] * i01, c[2] * i01 + c[3] * i11,
                   c[4] * i00 + c[5] * i01, c[4] * i01 + c[5] * i11,
                   c[6] * i00 + c[7] * i01, c[6] * i01 + c[7] * i11};
    int g[4] = {p0, p1, v0, v1};
    for (int a = 0; a < 4; a++) {
        mean[g[a]] += k[2 * a] * y0 + k[2 * a + 1] * y1;
        for (int b = a; b < 4; b++) {
            double v = P8(g[a], g[b]) - (c[2 * a] * k[2 * b] + c[2 * a + 1] * k[2 * b + 1]);
            P8(g[a], g[b]) = v;
            P8(g[b], g[a]) = v;
        }
    }
}

void mt_xywh_update(double *mean, double *P, double x1, double y1, double x2, double y2)
{
    double w = x2 - x1, h = y2 - y1;
    double rw = STD_WEIGHT_POSITION * mean[2];
    double rh = STD_WEIGHT_POSITION * mean[3];
    rw *= rw;
    rh *= rh;
    double y0 = x1 + w / 2.0 - mean[0];
    double y1_ = y1 + h / 2.0 - mean[1];
    double y2_ = w - mean[2];
    double y3 = h - mean[3];
    xywh_update_pair(mean, P, 0, 1, rw, rh, y0, y1_);
    xywh_update_pair(mean, P, 2, 3, rw, rh, y2_, y3);
}

void mt_xywh_box(const double *mean, double box[4])
{
    double w = mean[2], h = mean[3];
    double x1 = mean[0] - w / 2.0;
    double y1 = mean[1] - h / 2.0;
    box[0] = x1;
    box[1] = y1;
    box[2] = x1 + w;
    box[3] = y1 + h;
}

/* ------------------------------------------------------------------ camera warps */
void mt_local_affine(const double H[9], double x, double y, double o[6])
{
    if (H[6] == 0.0 && H[7] == 0.0 && H[8] == 1.0) {
        o[0] = H[0] * x + H[1] * y + H[2];
        o[1] = H[3] * x + H[4] * y + H[5];
        o[2] = H[0]; o[3] = H[1]; o[4] = H[3]; o[5] = H[4];
        return;
    }
    double d = H[6] * x + H[7] * y + H[8];
    double u = (H[0] * x + H[1] * y + H[2]) / d;
    double v = (H[3] * x + H[4] * y + H[5]) / d;
    o[0] = u;
    o[1] = v;
    o[2] = (H[0] - u * H[6]) / d;
    o[3] = (H[1] - u * H[7]) / d;
    o[4] = (H[3] - v * H[6]) / d;
    o[5] = (H[4] - v * H[7]) / d;
}

/* kalman.warp_centre_blocks */
static void warp_centre_blocks(mt_table *tb, int64_t n, const double H[9], int size, int aspect, int size_by_area)
{
    int D = tb->dim;
    for (int64_t row = 0; row < n; row++) {
        double *m = MT_MEAN(tb, row), *P = MT_COV(tb, row), o[6];
        mt_local_affine(H, m[0], m[1], o);
        double a00 = o[2], a01 = o[3], a10 = o[4], a11 = o[5];
        double vx = m[4], vy = m[5];
        m[0] = o[0];
        m[1] = o[1];
        m[4] = a00 * vx + a01 * vy;
        m[5] = a10 * vx + a11 * vy;
        if (a00 == 1.0 && a01 == 0.0 && a10 == 0.0 && a11 == 1.0)
            continue;
        double bx0 = P[0 * D + 0], bx1 = P[0 * D + 4], bx2 = P[4 * D + 4];
        double by0 = P[1 * D + 1], by1 = P[1 * D + 5], by2 = P[5 * D + 5];
        for (int i = 0; i < 2; i++) {
            double a = i == 0 ? a00 * a00 : a10 * a10;
            double b = i == 0 ? a01 * a01 : a11 * a11;
            P[i * D + i] = a * bx0 + b * by0;
            P[i * D + i + 4] = a * bx1 + b * by1;
            P[(i + 4) * D + i] = P[i * D + i + 4];
            P[(i + 4) * D + i + 4] = a * bx2 + b * by2;
        }
        double sx = sqrt(a00 * a00 + a10 * a10);
        double sy = sqrt(a01 * a01 + a11 * a11);
        for (int c = 0; c < 2; c++) {
            int k = c == 0 ? size : aspect;
            double f = c == 0 ? (size_by_area ? sx * sy : sy) : sx / sy;
            double f2 = f * f;
            m[k] *= f;
            P[k * D + k] *= f2;
            int v = k + 4;
            if (v < D && !(c == 1 && size_by_area)) {
                m[v] *= f;
                P[k * D + v] *= f2;
                P[v * D + k] *= f2;
                P[v * D + v] *= f2;
            }
        }
    }
}

void mt_xyah_warp_rows(mt_table *tb, int64_t n, const double H[9])
{
    warp_centre_blocks(tb, n, H, 3, 2, 0);
}

void mt_xywh_warp_rows(mt_table *tb, int64_t n, const double H[9])
{
    for (int64_t row = 0; row < n; row++) {
        double *m = MT_MEAN(tb, row), *P = MT_COV(tb, row), o[6];
        mt_local_affine(H, m[0], m[1], o);
        double a00 = o[2], a01 = o[3], a10 = o[4], a11 = o[5];
        for (int k = 1; k < 4; k++) {
            double a = m[2 * k], b = m[2 * k + 1];
            m[2 * k] = a00 * a + a01 * b;
            m[2 * k + 1] = a10 * a + a11 * b;
        }
        m[0] = o[0];
        m[1] = o[1];
        if (a00 == 1.0 && a01 == 0.0 && a10 == 0.0 && a11 == 1.0)
            continue;
        for (int i = 0; i < 4; i += 2) {
            for (int q = 0; q < 2; q++) {
                int d = i + 4 * q;
                double m00 = P8(d, d), m01 = P8(d, d + 1), m11 = P8(d + 1, d + 1);
                double r00 = a00 * m00 + a01 * m01;
                double r01 = a00 * m01 + a01 * m11;
                double r10 = a10 * m00 + a11 * m01;
                double r11 = a10 * m01 + a11 * m11;
                P8(d, d) = r00 * a00 + r01 * a01;
                double off = r00 * a10 + r01 * a11;
                P8(d, d + 1) = off;
                P8(d + 1, d) = off;
                P8(d + 1, d + 1) = r10 * a10 + r11 * a11;
            }
            int j = i + 4;
            double m00 = P8(i, j), m01 = P8(i, j + 1), m10 = P8(i + 1, j), m11 = P8(i + 1, j + 1);
            double r00 = a00 * m00 + a01 * m10;
            double r01 = a00 * m01 + a01 * m11;
            double r10 = a10 * m00 + a11 * m10;
            double r11 = a10 * m01 + a11 * m11;
            double c00 = r00 * a00 + r01 * a01;
            double c01 = r00 * a10 + r01 * a11;
            double c10 = r10 * a00 + r11 * a01;
            double c11 = r10 * a10 + r11 * a11;
            P8(i, j) = c00;
            P8(i, j + 1) = c01;
            P8(i + 1, j) = c10;
            P8(i + 1, j + 1) = c11;
            P8(j, i) = c00;
            P8(j + 1, i) = c01;
            P8(j, i + 1) = c10;
            P8(j + 1, i + 1) = c11;
        }
    }
}
