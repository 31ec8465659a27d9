/* larod_loop.h -- the Larod-specific part of the ACAP (built only with -DMOTTRACK_LAROD in the
 * acap-native-sdk image; not compiled in this repository's CI, which cannot fetch that image).
 *
 * Loads the model on the DLPU, and for every input frame runs one job and hands the mapped
 * output tensor (YOLOv5 [1, 25200, 85] uint8) to app_track_yolov5.  The frame source (VDO) is
 * left to the integrator: read_input_frame() fills the input tensor buffer; here it reads raw
 * 640x640x3 frames from a file or pipe named by MOTTRACK_INPUT.  Everything after the output
 * buffer is the code the replay build runs and tests. */
#ifndef MOTTRACK_LAROD_LOOP_H
#define MOTTRACK_LAROD_LOOP_H
#include <fcntl.h>
#include <larod.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define MODEL_PATH "/usr/local/packages/mottrack_native/model/model.tflite"
#define MODEL_DEVICE "a9-dlpu-tflite"
#define OUT_SCALE 0.0042463848  /* axis-model-zoo yolov5n, ARTPEC-9 (see ../shared/README.md) */
#define OUT_ZERO_POINT 1.0

static int read_input_frame(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int larod_loop(void)
{
    larodError *err = NULL;
    larodConnection *conn = NULL;
    int rc = 1;
    if (!larodConnect(&conn, &err)) {
        syslog(LOG_ERR, "larod: %s", err ? err->msg : "connect failed");
        return 1;
    }
    const larodDevice *dev = larodGetDevice(conn, MODEL_DEVICE, 0, &err);
    int mfd = open(MODEL_PATH, O_RDONLY);
    larodModel *model = dev && mfd >= 0 ? larodLoadModel(conn, mfd, dev, LAROD_ACCESS_PRIVATE, "yolov5", NULL, &err)
                                        : NULL;
    size_t n_in = 0, n_out = 0;
    larodTensor **in = model ? larodAllocModelInputs(conn, model, 0, &n_in, NULL, &err) : NULL;
    larodTensor **out = model ? larodAllocModelOutputs(conn, model, 0, &n_out, NULL, &err) : NULL;
    larodJobRequest *job = in && out ? larodCreateJobRequest(model, in, n_in, out, n_out, NULL, &err) : NULL;
    if (!job) {
        syslog(LOG_ERR, "larod: %s", err ? err->msg : "setup failed");
        goto done;
    }
    size_t in_len = 640 * 640 * 3, out_len = 25200 * 85;
    void *in_buf = mmap(NULL, in_len, PROT_READ | PROT_WRITE, MAP_SHARED, larodGetTensorFd(in[0], &err), 0);
    void *out_buf = mmap(NULL, out_len, PROT_READ, MAP_SHARED, larodGetTensorFd(out[0], &err), 0);
    const char *src = getenv("MOTTRACK_INPUT");
    int src_fd = src ? open(src, O_RDONLY) : -1;
    app_tracking app;
    if (in_buf == MAP_FAILED || out_buf == MAP_FAILED || src_fd < 0
        || app_tracking_init(&app, "bytetrack", NULL, 0, 1920, 1080, 1, "mottrack", stdout))
        goto done;
    while (read_input_frame(src_fd, in_buf, in_len) == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (!larodRunJob(conn, job, &err))
            break;
        if (app_track_yolov5(&app, out_buf, MT_DTYPE_UINT8, 25200, 85, OUT_SCALE, OUT_ZERO_POINT, 0.25,
                             (double)ts.tv_sec + ts.tv_nsec * 1e-9))
            break;
    }
    app_tracking_close(&app, (double)time(NULL));
    app_tracking_free(&app);
    rc = 0;
done:
    larodClearError(&err);
    larodDisconnect(&conn, NULL);
    return rc;
}
#endif
