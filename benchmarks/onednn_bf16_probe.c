/* onednn_bf16_probe.c -- oneDNN 2.6, float32 against bf16, pass by pass, in C: what the bf16
 * path of `confit --precision bf16` can gain on this CPU before any Swift is written (the
 * measurements are in benchmarks/README.md). Convolution forward, backward data and backward
 * weights of every ResNet-18 shape and the EfficientNet-Lite0 shapes that matter (depthwise
 * 3x3/5x5, pointwise), batch 32, nChw16c activations, float32 weight gradients in both cases;
 * the inner product, batch norm (nChw16c and plain NCHW) and reorders. Both types run DIRECT
 * convolutions: oneDNN 2.6 has Winograd for float32 only, which `confit`'s float32 uses for
 * 3x3 stride-1 shapes (so its float32 is faster than this probe's there).
 *
 * Build:  gcc -O2 benchmarks/onednn_bf16_probe.c -ldnnl -o /tmp/probe
 * Run:    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive /tmp/probe [all|resnet|effnet|misc|conv:<i>] [rounds] [iters] [warmups]
 *
 * Timing protocol: for each op/pass, the f32 and bf16 primitives are both created up front, then
 * for each round: f32 (warmups, timed iters), bf16 (warmups, timed iters).  Each "timed iter" is
 * a batch of k executions (k chosen so a sample takes >= ~20 ms for tiny ops, k = 1 otherwise);
 * reported time is the median per-execution time over all rounds' samples.
 */
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

#define CHECK(f)                                                                   \
    do {                                                                           \
        dnnl_status_t s_ = (f);                                                    \
        if (s_ != dnnl_success) {                                                  \
            fprintf(stderr, "[%s:%d] %s failed: %s\n", __FILE__, __LINE__, #f,     \
                    dnnl_status2str(s_));                                          \
            exit(2);                                                               \
        }                                                                          \
    } while (0)

static dnnl_engine_t eng;
static dnnl_stream_t strm;
static int ROUNDS = 3, ITERS = 5, WARM = 2;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* ---------------------------------------------------------------- bench object */
#define MAXARGS 16
typedef struct {
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    int nargs;
    dnnl_exec_arg_t args[MAXARGS];
    const char *impl;
    int ok;
    char note[128];
} bench_t;

static uint16_t f2bf(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

static void fill_mem(dnnl_memory_t m, const dnnl_memory_desc_t *md) {
    void *p;
    CHECK(dnnl_memory_get_data_handle(m, &p));
    size_t sz = dnnl_memory_desc_get_size(md);
    unsigned s = 12345;
    if (md->data_type == dnnl_f32) {
        float *f = p;
        for (size_t i = 0; i < sz / 4; i++) {
            s = s * 1103515245u + 12345u;
            f[i] = ((s >> 9) & 0xffff) / 65536.0f - 0.5f;
        }
    } else if (md->data_type == dnnl_bf16) {
        uint16_t *b = p;
        for (size_t i = 0; i < sz / 2; i++) {
            s = s * 1103515245u + 12345u;
            b[i] = f2bf(((s >> 9) & 0xffff) / 65536.0f - 0.5f);
        }
    } else {
        memset(p, 0, sz);
    }
}

static const int ARG_IDS[] = {DNNL_ARG_SRC,         DNNL_ARG_WEIGHTS,     DNNL_ARG_BIAS,
                              DNNL_ARG_DST,         DNNL_ARG_DIFF_SRC,    DNNL_ARG_DIFF_WEIGHTS,
                              DNNL_ARG_DIFF_BIAS,   DNNL_ARG_DIFF_DST,    DNNL_ARG_MEAN,
                              DNNL_ARG_VARIANCE,    DNNL_ARG_SCALE,       DNNL_ARG_SHIFT,
                              DNNL_ARG_DIFF_SCALE,  DNNL_ARG_DIFF_SHIFT,  DNNL_ARG_WORKSPACE,
                              DNNL_ARG_SCRATCHPAD};

/* create primitive + all memories it needs from pd (pd ownership taken) */
static void bench_from_pd(bench_t *b, dnnl_primitive_desc_t pd) {
    b->pd = pd;
    b->ok = 1;
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &b->impl));
    CHECK(dnnl_primitive_create(&b->prim, pd));
    b->nargs = 0;
    for (size_t i = 0; i < sizeof(ARG_IDS) / sizeof(ARG_IDS[0]); i++) {
        const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, ARG_IDS[i]);
        if (!md || md->ndims == 0 || dnnl_memory_desc_get_size(md) == 0) continue;
        dnnl_memory_t m;
        CHECK(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE));
        fill_mem(m, md);
        b->args[b->nargs].arg = ARG_IDS[i];
        b->args[b->nargs].memory = m;
        b->nargs++;
    }
}

static void bench_free(bench_t *b) {
    if (!b->ok) return;
    for (int i = 0; i < b->nargs; i++) dnnl_memory_destroy(b->args[i].memory);
    dnnl_primitive_destroy(b->prim);
    /* pd is kept alive by caller only when used as hint; destroy here */
    dnnl_primitive_desc_destroy(b->pd);
    b->ok = 0;
}

static void bench_exec(bench_t *b) {
    CHECK(dnnl_primitive_execute(b->prim, strm, b->nargs, b->args));
    CHECK(dnnl_stream_wait(strm));
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    double med_ms, min_ms;
    int reduced;
} tres_t;

/* interleaved timing of nb benches (f32, bf16) */
static void time_interleaved(bench_t *bs, int nb, tres_t *res) {
    double *samples[4];
    int ns[4] = {0}, k[4], reduced[4] = {0}, rounds[4];
    for (int v = 0; v < nb; v++) {
        res[v].med_ms = res[v].min_ms = NAN;
        res[v].reduced = 0;
        if (!bs[v].ok) continue;
        /* probe one execution to choose k / detect very slow (ref) kernels */
        double t0 = now_s();
        bench_exec(&bs[v]);
        double t = now_s() - t0;
        k[v] = t < 0.02 ? (int)(0.02 / (t > 1e-6 ? t : 1e-6)) + 1 : 1;
        rounds[v] = ROUNDS;
        if (t > 2.0) { /* pathologically slow: keep the total bounded */
            reduced[v] = 1;
            rounds[v] = 1;
        }
        samples[v] = calloc(ROUNDS * ITERS + 1, sizeof(double));
    }
    for (int r = 0; r < ROUNDS; r++) {
        for (int v = 0; v < nb; v++) {
            if (!bs[v].ok || r >= rounds[v]) continue;
            int warm = reduced[v] ? 0 : WARM, iters = reduced[v] ? 2 : ITERS;
            for (int w = 0; w < warm; w++)
                for (int j = 0; j < k[v]; j++) bench_exec(&bs[v]);
            for (int i = 0; i < iters; i++) {
                double t0 = now_s();
                for (int j = 0; j < k[v]; j++) bench_exec(&bs[v]);
                samples[v][ns[v]++] = (now_s() - t0) / k[v];
            }
        }
    }
    for (int v = 0; v < nb; v++) {
        if (!bs[v].ok) continue;
        qsort(samples[v], ns[v], sizeof(double), cmp_d);
        res[v].min_ms = samples[v][0] * 1e3;
        res[v].med_ms = (ns[v] % 2 ? samples[v][ns[v] / 2]
                                   : 0.5 * (samples[v][ns[v] / 2 - 1] + samples[v][ns[v] / 2])) * 1e3;
        res[v].reduced = reduced[v];
        free(samples[v]);
    }
}

/* ---------------------------------------------------------------- reporting */
typedef struct {
    char name[64];
    const char *pass;
    double weight; /* occurrences in network */
    int net;       /* 0 resnet, 1 effnet, 2 misc */
    double gflop;
    tres_t r[2];
    char impl[2][64];
    char note[2][128];
} row_t;
static row_t rows[256];
static int nrows = 0;

static void report(const char *name, const char *pass, int net, double weight, double flop,
                   bench_t *b, tres_t *r) {
    row_t *w = &rows[nrows++];
    snprintf(w->name, sizeof w->name, "%s", name);
    w->pass = pass;
    w->net = net;
    w->weight = weight;
    w->gflop = flop * 1e-9;
    for (int v = 0; v < 2; v++) {
        w->r[v] = r[v];
        snprintf(w->impl[v], sizeof w->impl[v], "%s", b[v].ok ? b[v].impl : "(unsupported)");
        snprintf(w->note[v], sizeof w->note[v], "%s", b[v].note);
    }
    double sp = r[0].med_ms / r[1].med_ms;
    printf("%-28s %-9s f32 %9.3f ms  bf16 %9.3f ms  x%5.2f  (min %.3f/%.3f)  GF/s f32 %7.1f bf16 %7.1f  impl f32=%s bf16=%s%s%s%s%s\n",
           name, pass, r[0].med_ms, r[1].med_ms, sp, r[0].min_ms, r[1].min_ms, flop > 0 ? flop * 1e-6 / r[0].med_ms : 0,
           flop > 0 ? flop * 1e-6 / r[1].med_ms : 0, w->impl[0], w->impl[1],
           r[1].reduced ? " [bf16 reduced iters: very slow]" : "",
           r[0].reduced ? " [f32 reduced iters: very slow]" : "", b[1].note[0] ? " NOTE: " : "",
           b[1].note);
    fflush(stdout);
}

/* ---------------------------------------------------------------- convolution */
typedef struct {
    const char *name;
    int net;
    double weight;
    int ic, oc, ih, iw, kh, kw, s, p, g;
} conv_t;

static void conv_md(dnnl_memory_desc_t *src, dnnl_memory_desc_t *wei, dnnl_memory_desc_t *dst,
                    const conv_t *c, int N, dnnl_data_type_t sdt, dnnl_data_type_t wdt,
                    dnnl_data_type_t ddt, int oh, int ow) {
    dnnl_dims_t sd = {N, c->ic, c->ih, c->iw};
    dnnl_dims_t dd = {N, c->oc, oh, ow};
    CHECK(dnnl_memory_desc_init_by_tag(src, 4, sd, sdt, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(dst, 4, dd, ddt, dnnl_format_tag_any));
    if (c->g > 1) {
        dnnl_dims_t wd = {c->g, c->oc / c->g, c->ic / c->g, c->kh, c->kw};
        CHECK(dnnl_memory_desc_init_by_tag(wei, 5, wd, wdt, dnnl_format_tag_any));
    } else {
        dnnl_dims_t wd = {c->oc, c->ic, c->kh, c->kw};
        CHECK(dnnl_memory_desc_init_by_tag(wei, 4, wd, wdt, dnnl_format_tag_any));
    }
}

/* pass: 0 fwd, 1 bwd data, 2 bwd weights. bf16: 0/1. For bwd weights bf16, diff_wdt chosen.
 * Returns 0 on success; fills b. fwd_pd_out receives the fwd pd used as hint (caller destroys). */
/* the backward primitive of op descriptor `bd` with forward `fpd` as its hint (fpd consumed) */
static int bench_backward(bench_t *b, dnnl_primitive_desc_t fpd, const void *bd) {
    dnnl_primitive_desc_t bpd;
    dnnl_status_t st = dnnl_primitive_desc_create(&bpd, bd, NULL, eng, fpd);
    dnnl_primitive_desc_destroy(fpd);
    if (st != dnnl_success) return -1;
    bench_from_pd(b, bpd);
    return 0;
}

static int make_conv(bench_t *b, const conv_t *c, int N, int pass, int bf16,
                     dnnl_data_type_t diff_wdt) {
    memset(b, 0, sizeof *b);
    int oh = (c->ih + 2 * c->p - c->kh) / c->s + 1, ow = (c->iw + 2 * c->p - c->kw) / c->s + 1;
    dnnl_data_type_t dt = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_dims_t strides = {c->s, c->s}, pad = {c->p, c->p};
    dnnl_memory_desc_t src, wei, dst;
    conv_md(&src, &wei, &dst, c, N, dt, dt, dt, oh, ow);
    dnnl_convolution_desc_t fd;
    CHECK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct,
                                             &src, &wei, NULL, &dst, strides, pad, pad));
    dnnl_primitive_desc_t fpd;
    if (dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL) != dnnl_success) return -1;
    if (pass == 0) {
        bench_from_pd(b, fpd);
        return 0;
    }
    dnnl_convolution_desc_t bd;
    if (pass == 1) {
        CHECK(dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &src, &wei,
                                                       &dst, strides, pad, pad));
    } else {
        dnnl_memory_desc_t s2, w2, d2;
        conv_md(&s2, &w2, &d2, c, N, dt, diff_wdt, dt, oh, ow);
        CHECK(dnnl_convolution_backward_weights_desc_init(&bd, dnnl_convolution_direct, &s2, &w2,
                                                          NULL, &d2, strides, pad, pad));
    }
    return bench_backward(b, fpd, &bd);
}

static const char *PASSN[3] = {"fwd", "bwd_data", "bwd_wei"};

static void run_conv(const conv_t *c, int N) {
    int oh = (c->ih + 2 * c->p - c->kh) / c->s + 1, ow = (c->iw + 2 * c->p - c->kw) / c->s + 1;
    double flop = 2.0 * N * c->oc * oh * ow * (double)(c->ic / c->g) * c->kh * c->kw;
    for (int pass = 0; pass < 3; pass++) {
        bench_t b[2];
        for (int v = 0; v < 2; v++) {
            int rc = make_conv(&b[v], c, N, pass, v, dnnl_f32);
            if (rc && v == 1 && pass == 2) {
                rc = make_conv(&b[v], c, N, pass, v, dnnl_bf16);
                if (!rc) snprintf(b[v].note, sizeof b[v].note, "f32 diff_weights unsupported; bf16 diff_weights used");
            }
            if (rc) {
                b[v].ok = 0;
                fprintf(stderr, "%s %s %s: primitive creation failed\n", c->name, PASSN[pass], v ? "bf16" : "f32");
            }
        }
        tres_t r[2];
        time_interleaved(b, 2, r);
        report(c->name, PASSN[pass], c->net, c->weight, flop, b, r);
        bench_free(&b[0]);
        bench_free(&b[1]);
    }
}

/* ---------------------------------------------------------------- inner product */
static int make_ip(bench_t *b, int N, int IC, int OC, int pass, int bf16, dnnl_data_type_t bias_dt,
                   dnnl_data_type_t diff_wdt) {
    memset(b, 0, sizeof *b);
    dnnl_data_type_t dt = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_memory_desc_t src, wei, bia, dst;
    dnnl_dims_t sd = {N, IC}, wd = {OC, IC}, bdm = {OC}, dd = {N, OC};
    CHECK(dnnl_memory_desc_init_by_tag(&src, 2, sd, dt, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&wei, 2, wd, dt, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&bia, 1, bdm, bias_dt, dnnl_a));
    CHECK(dnnl_memory_desc_init_by_tag(&dst, 2, dd, dt, dnnl_format_tag_any));
    dnnl_inner_product_desc_t fd;
    CHECK(dnnl_inner_product_forward_desc_init(&fd, dnnl_forward_training, &src, &wei, &bia, &dst));
    dnnl_primitive_desc_t fpd;
    if (dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL) != dnnl_success) return -1;
    if (pass == 0) {
        bench_from_pd(b, fpd);
        return 0;
    }
    dnnl_inner_product_desc_t bd;
    if (pass == 1) {
        CHECK(dnnl_inner_product_backward_data_desc_init(&bd, &src, &wei, &dst));
    } else {
        dnnl_memory_desc_t w2, b2;
        CHECK(dnnl_memory_desc_init_by_tag(&w2, 2, wd, diff_wdt, dnnl_format_tag_any));
        CHECK(dnnl_memory_desc_init_by_tag(&b2, 1, bdm, diff_wdt, dnnl_a));
        CHECK(dnnl_inner_product_backward_weights_desc_init(&bd, &src, &w2, &b2, &dst));
    }
    return bench_backward(b, fpd, &bd);
}

static void run_ip(int N, int IC, int OC) {
    double flop = 2.0 * N * IC * OC;
    char name[64];
    snprintf(name, sizeof name, "ip %d->%d N%d", IC, OC, N);
    for (int pass = 0; pass < 3; pass++) {
        bench_t b[2];
        int rc0 = make_ip(&b[0], N, IC, OC, pass, 0, dnnl_f32, dnnl_f32);
        if (rc0) b[0].ok = 0;
        int rc = make_ip(&b[1], N, IC, OC, pass, 1, dnnl_f32, dnnl_f32);
        if (rc) {
            rc = make_ip(&b[1], N, IC, OC, pass, 1, dnnl_bf16, dnnl_f32);
            if (!rc) snprintf(b[1].note, sizeof b[1].note, "bias bf16");
        }
        if (rc && pass == 2) {
            rc = make_ip(&b[1], N, IC, OC, pass, 1, dnnl_bf16, dnnl_bf16);
            if (!rc) snprintf(b[1].note, sizeof b[1].note, "bf16 diff_weights used");
        }
        if (rc) b[1].ok = 0;
        tres_t r[2];
        time_interleaved(b, 2, r);
        report(name, PASSN[pass], 2, 1, flop, b, r);
        bench_free(&b[0]);
        bench_free(&b[1]);
    }
}

/* ---------------------------------------------------------------- batch norm */
static int make_bn(bench_t *b, int N, int C, int H, int W, int pass, int bf16, dnnl_format_tag_t tag,
                   unsigned flags) {
    memset(b, 0, sizeof *b);
    dnnl_data_type_t dt = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_dims_t d = {N, C, H, W};
    dnnl_memory_desc_t md;
    CHECK(dnnl_memory_desc_init_by_tag(&md, 4, d, dt, tag));
    dnnl_batch_normalization_desc_t fd;
    if (dnnl_batch_normalization_forward_desc_init(&fd, dnnl_forward_training, &md, 1e-5f, flags) != dnnl_success)
        return -1;
    dnnl_primitive_desc_t fpd;
    if (dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL) != dnnl_success) return -1;
    if (pass == 0) {
        bench_from_pd(b, fpd);
        return 0;
    }
    dnnl_batch_normalization_desc_t bd;
    CHECK(dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &md, &md, 1e-5f, flags));
    return bench_backward(b, fpd, &bd);
}

static void run_bn(int N, int C, int H, int W, dnnl_format_tag_t tag, const char *tagname,
                   unsigned flags, const char *flname) {
    char name[64];
    snprintf(name, sizeof name, "bn %dc %dx%d %s %s", C, H, W, tagname, flname);
    for (int pass = 0; pass < 2; pass++) {
        bench_t b[2];
        for (int v = 0; v < 2; v++)
            if (make_bn(&b[v], N, C, H, W, pass, v, tag, flags)) {
                b[v].ok = 0;
                fprintf(stderr, "%s pass %d %s: creation failed\n", name, pass, v ? "bf16" : "f32");
            }
        tres_t r[2];
        time_interleaved(b, 2, r);
        report(name, pass ? "bwd" : "fwd_trn", 2, 1, 0, b, r);
        bench_free(&b[0]);
        bench_free(&b[1]);
    }
}

/* ---------------------------------------------------------------- reorder */
/* reorder user f32 nchw -> layout chosen by conv fwd (f32 and bf16), and back. */
static void run_reorders(int N) {
    conv_t c = {"r", 2, 1, 64, 64, 56, 56, 3, 3, 1, 1, 1};
    for (int dir = 0; dir < 2; dir++) {
        bench_t b[2];
        for (int v = 0; v < 2; v++) {
            bench_t cb;
            make_conv(&cb, &c, N, 0, v, dnnl_f32);
            const dnnl_memory_desc_t *cmd = dnnl_primitive_desc_query_md(cb.pd, dnnl_query_src_md, 0);
            dnnl_memory_desc_t user;
            dnnl_dims_t d = {N, 64, 56, 56};
            CHECK(dnnl_memory_desc_init_by_tag(&user, 4, d, dnnl_f32, dnnl_nchw));
            dnnl_primitive_desc_t rpd;
            memset(&b[v], 0, sizeof b[v]);
            const dnnl_memory_desc_t *from = dir == 0 ? &user : cmd, *to = dir == 0 ? cmd : &user;
            CHECK(dnnl_reorder_primitive_desc_create(&rpd, from, eng, to, eng, NULL));
            b[v].pd = rpd;
            b[v].ok = 1;
            CHECK(dnnl_primitive_desc_query(rpd, dnnl_query_impl_info_str, 0, &b[v].impl));
            CHECK(dnnl_primitive_create(&b[v].prim, rpd));
            dnnl_memory_t ms, md;
            CHECK(dnnl_memory_create(&ms, from, eng, DNNL_MEMORY_ALLOCATE));
            CHECK(dnnl_memory_create(&md, to, eng, DNNL_MEMORY_ALLOCATE));
            fill_mem(ms, from);
            fill_mem(md, to);
            b[v].args[0].arg = DNNL_ARG_FROM;
            b[v].args[0].memory = ms;
            b[v].args[1].arg = DNNL_ARG_TO;
            b[v].args[1].memory = md;
            b[v].nargs = 2;
            /* describe the chosen layout */
            const dnnl_blocking_desc_t *bl = &cmd->format_desc.blocking;
            char lay[96];
            int o = snprintf(lay, sizeof lay, "%s strides(", v ? "bf16" : "f32");
            for (int i = 0; i < cmd->ndims; i++) o += snprintf(lay + o, sizeof lay - o, "%lld,", (long long)bl->strides[i]);
            o += snprintf(lay + o, sizeof lay - o, ") blk");
            for (int i = 0; i < bl->inner_nblks; i++)
                o += snprintf(lay + o, sizeof lay - o, " %lld@%d", (long long)bl->inner_blks[i], (int)bl->inner_idxs[i]);
            snprintf(b[v].note, sizeof b[v].note, "%s", lay);
            printf("  conv 64->64 56x56 fwd chosen src layout: %s (impl %s)\n", lay, cb.impl);
            bench_free(&cb);
        }
        tres_t r[2];
        time_interleaved(b, 2, r);
        report(dir == 0 ? "reorder f32nchw->conv_src" : "reorder conv_src->f32nchw", "reorder", 2, 1, 0, b, r);
        bench_free(&b[0]);
        bench_free(&b[1]);
    }
}

/* ---------------------------------------------------------------- main */
static conv_t convs[] = {
    /* name, net, weight, ic, oc, ih, iw, kh, kw, s, p, g */
    {"r18 stem 7x7s2 3->64 224", 0, 1, 3, 64, 224, 224, 7, 7, 2, 3, 1},
    {"r18 3x3 64->64 56", 0, 4, 64, 64, 56, 56, 3, 3, 1, 1, 1},
    {"r18 3x3s2 64->128 56in", 0, 1, 64, 128, 56, 56, 3, 3, 2, 1, 1},
    {"r18 1x1s2 ds 64->128 56in", 0, 1, 64, 128, 56, 56, 1, 1, 2, 0, 1},
    {"r18 3x3 128->128 28", 0, 3, 128, 128, 28, 28, 3, 3, 1, 1, 1},
    {"r18 3x3s2 128->256 28in", 0, 1, 128, 256, 28, 28, 3, 3, 2, 1, 1},
    {"r18 1x1s2 ds 128->256 28in", 0, 1, 128, 256, 28, 28, 1, 1, 2, 0, 1},
    {"r18 3x3 256->256 14", 0, 3, 256, 256, 14, 14, 3, 3, 1, 1, 1},
    {"r18 3x3s2 256->512 14in", 0, 1, 256, 512, 14, 14, 3, 3, 2, 1, 1},
    {"r18 1x1s2 ds 256->512 14in", 0, 1, 256, 512, 14, 14, 1, 1, 2, 0, 1},
    {"r18 3x3 512->512 7", 0, 3, 512, 512, 7, 7, 3, 3, 1, 1, 1},
    /* EfficientNet-Lite0 depthwise */
    {"eff dw3x3 32c 112", 1, 1, 32, 32, 112, 112, 3, 3, 1, 1, 32},
    {"eff dw3x3 144c 56", 1, 1, 144, 144, 56, 56, 3, 3, 1, 1, 144},
    {"eff dw5x5 240c 28", 1, 1, 240, 240, 28, 28, 5, 5, 1, 2, 240},
    {"eff dw3x3 480c 14", 1, 1, 480, 480, 14, 14, 3, 3, 1, 1, 480},
    {"eff dw5x5 1152c 7", 1, 1, 1152, 1152, 7, 7, 5, 5, 1, 2, 1152},
    /* EfficientNet-Lite0 pointwise */
    {"eff pw 16->96 112", 1, 1, 16, 96, 112, 112, 1, 1, 1, 0, 1},
    {"eff pw 144->24 56", 1, 1, 144, 24, 56, 56, 1, 1, 1, 0, 1},
    {"eff pw 240->40 28", 1, 1, 240, 40, 28, 28, 1, 1, 1, 0, 1},
    {"eff pw 40->240 28", 1, 1, 40, 240, 28, 28, 1, 1, 1, 0, 1},
    {"eff pw 480->80 14", 1, 1, 480, 80, 14, 14, 1, 1, 1, 0, 1},
    {"eff pw 1152->192 7", 1, 1, 1152, 192, 7, 7, 1, 1, 1, 0, 1},
};

int main(int argc, char **argv) {
    const char *which = argc > 1 ? argv[1] : "all";
    if (argc > 2) ROUNDS = atoi(argv[2]);
    if (argc > 3) ITERS = atoi(argv[3]);
    if (argc > 4) WARM = atoi(argv[4]);
    const int N = 32;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
    const dnnl_version_t *ver = dnnl_version();
    printf("oneDNN %d.%d.%d (%s) effective ISA enum=%d  OMP_NUM_THREADS=%s  rounds=%d iters=%d warm=%d\n",
           ver->major, ver->minor, ver->patch, ver->hash, (int)dnnl_get_effective_cpu_isa(),
           getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "(unset)", ROUNDS, ITERS, WARM);
    int do_r = !strcmp(which, "all") || !strcmp(which, "resnet");
    int do_e = !strcmp(which, "all") || !strcmp(which, "effnet");
    int do_m = !strcmp(which, "all") || !strcmp(which, "misc");
    int only = -1; /* "conv:<idx>" runs one conv */
    if (!strncmp(which, "conv:", 5)) only = atoi(which + 5);
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) {
        if (only >= 0 ? (int)i != only : !((convs[i].net == 0 && do_r) || (convs[i].net == 1 && do_e)))
            continue;
        run_conv(&convs[i], N);
    }
    if (do_m) {
        run_ip(N, 512, 1000);
        run_bn(N, 64, 56, 56, dnnl_nChw16c, "nChw16c", dnnl_use_scale | dnnl_use_shift, "scale|shift");
        run_bn(N, 64, 56, 56, dnnl_nchw, "nchw", dnnl_use_scale | dnnl_use_shift, "scale|shift");
        run_reorders(N);
    }
    /* summary */
    for (int net = 0; net < 2; net++) {
        double tot[3][2] = {{0}};
        double gf[3] = {0};
        int any = 0;
        for (int i = 0; i < nrows; i++) {
            if (rows[i].net != net) continue;
            any = 1;
            int p = !strcmp(rows[i].pass, "fwd") ? 0 : !strcmp(rows[i].pass, "bwd_data") ? 1 : 2;
            for (int v = 0; v < 2; v++) tot[p][v] += rows[i].weight * rows[i].r[v].med_ms;
            gf[p] += rows[i].weight * rows[i].gflop;
        }
        if (!any) continue;
        printf("\nSUMMARY %s (weighted sum over listed shapes, N=%d):\n",
               net == 0 ? "ResNet-18 convs (20 layers)" : "EfficientNet-Lite0 listed convs (weight 1 each)", N);
        double a = 0, b = 0;
        for (int p = 0; p < 3; p++) {
            printf("  %-9s f32 %9.1f ms  bf16 %9.1f ms  x%5.2f  (%.1f GFLOP; %.1f / %.1f GFLOP/s)\n", PASSN[p],
                   tot[p][0], tot[p][1], tot[p][0] / tot[p][1], gf[p], gf[p] * 1e3 / tot[p][0], gf[p] * 1e3 / tot[p][1]);
            a += tot[p][0];
            b += tot[p][1];
        }
        printf("  %-9s f32 %9.1f ms  bf16 %9.1f ms  x%5.2f\n", "total", a, b, a / b);
    }
    printf("\nFLAGGED (bf16 impl contains 'ref' or bf16 slower than f32):\n");
    for (int i = 0; i < nrows; i++) {
        int isref = strstr(rows[i].impl[1], "ref") != NULL;
        if (isref || rows[i].r[1].med_ms > rows[i].r[0].med_ms)
            printf("  %-28s %-9s f32 %.3f bf16 %.3f ms  bf16 impl=%s%s\n", rows[i].name, rows[i].pass,
                   rows[i].r[0].med_ms, rows[i].r[1].med_ms, rows[i].impl[1], isref ? "  [REF]" : "");
    }
    dnnl_stream_destroy(strm);
    dnnl_engine_destroy(eng);
    return 0;
}
