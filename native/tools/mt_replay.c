/* mt_replay -- track a MOTChallenge det file with libmottrack, as a native app would:
 * read a frame, update, write the rows.  Memory stays what the tracker needs.
 *
 * Usage: mt_replay TRACKER DET_FILE [--quiet] [--first] [name=value ...]
 *   DET_FILE lines: frame,id,x,y,w,h,score[,...] (frames ascending).
 *   Prints MOT result rows (frame,id,x,y,w,h,score,-1,-1,-1) unless --quiet; --first stops
 *   after the first frame.  On stderr: first_update_realtime_ns=T frames=F maxrss_kb=R
 *   (R: the process's peak resident set, VmHWM of /proc/self/status, which starts afresh at
 *   exec; getrusage's ru_maxrss would carry over the peak of a parent that forked us). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "mottrack.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mt_replay TRACKER DET_FILE [--quiet] [--first] [name=value ...]\n");
        return 2;
    }
    int quiet = 0, first_only = 0, np = 0;
    mt_param params[16];
    char names[16][64];
    for (int a = 3; a < argc; a++) {
        if (!strcmp(argv[a], "--quiet")) { quiet = 1; continue; }
        if (!strcmp(argv[a], "--first")) { first_only = 1; continue; }
        char *eq = strchr(argv[a], '=');
        if (!eq || np == 16) continue;
        snprintf(names[np], sizeof names[np], "%.*s", (int)(eq - argv[a]), argv[a]);
        params[np].name = names[np];
        params[np].value = atof(eq + 1);
        params[np].text = NULL;
        np++;
    }
    mt_tracker *t;
    char err[256];
    if (mt_tracker_create(argv[1], params, (size_t)np, &t, err, sizeof err)) {
        fprintf(stderr, "mt_replay: %s\n", err);
        return 2;
    }
    FILE *fp = fopen(argv[2], "r");
    if (!fp) { perror(argv[2]); return 2; }
    size_t cap = 256, n = 0;
    double *rows = malloc(cap * 5 * sizeof *rows);
    char line[512];
    long frame = 1, next_frame = -1, frames = 0;
    int done = 0;
    long long first_ns = -1;
    double pend[5];
    int have_pend = 0;
    while (!done) {
        n = 0;
        if (have_pend) {
            memcpy(rows, pend, sizeof pend);
            n = 1;
            have_pend = 0;
        }
        int eof = 1;
        while (fgets(line, sizeof line, fp)) {
            double f, id, x, y, w, h, s;
            if (sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &f, &id, &x, &y, &w, &h, &s) != 7) continue;
            double r[5] = {x, y, x + w, y + h, s};
            if ((long)f != frame) {
                next_frame = (long)f;
                memcpy(pend, r, sizeof r);
                have_pend = 1;
                eof = 0;
                break;
            }
            if (n == cap) { cap *= 2; rows = realloc(rows, cap * 5 * sizeof *rows); }
            memcpy(rows + 5 * n, r, sizeof r);
            n++;
        }
        /* frames without detections up to the next one are empty frames */
        mt_frame fr = {0};
        fr.rows = rows; fr.n = n; fr.cols = 5;
        const double *out; size_t m;
        if (mt_tracker_update(t, &fr, &out, &m)) {
            fprintf(stderr, "mt_replay: frame %ld: %s\n", frame, mt_tracker_last_error(t));
            return 1;
        }
        frames++;
        if (first_ns < 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            first_ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
            if (first_only) break;
        }
        if (!quiet)
            for (size_t i = 0; i < m; i++) {
                const double *o = out + 8 * i;
                printf("%ld,%.0f,%.3f,%.3f,%.3f,%.3f,%.4f,-1,-1,-1\n", frame, o[4], o[0], o[1], o[2] - o[0],
                       o[3] - o[1], o[5]);
            }
        if (eof) break;
        fr.n = 0;
        for (frame++; frame < next_frame; frame++) {
            if (mt_tracker_update(t, &fr, &out, &m)) return 1;
            frames++;
        }
    }
    fclose(fp);
    long hwm = -1;
    FILE *st = fopen("/proc/self/status", "r");
    if (st) {
        while (fgets(line, sizeof line, st))
            if (sscanf(line, "VmHWM: %ld", &hwm) == 1)
                break;
        fclose(st);
    }
    if (hwm < 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        hwm = ru.ru_maxrss;
    }
    fprintf(stderr, "first_update_realtime_ns=%lld frames=%ld maxrss_kb=%ld\n", first_ns, frames, hwm);
    mt_tracker_destroy(t);
    free(rows);
    return 0;
}
