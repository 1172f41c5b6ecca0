/*
** cat_diag.c -- the experts of a stored model, one by one, on the missing
** cells of a table (bench/cat_diag.py drives it for binary and
** categorical cells, bench/num_diag.py --experts for numeric ones).
**
**   cat_diag cols  MODEL.vaem              the model's columns as JSON lines
**   cat_diag cells MODEL.vaem ROWS.f32 N   one JSON line per missing
**                                          binary or categorical cell
**   cat_diag nums  MODEL.vaem ROWS.f32 N   one JSON line per missing
**                                          numeric cell
**
** ROWS.f32: N rows of the model's p columns, float32, in core's coding
** (level indexes, NaN missing). For each missing binary or categorical
** cell it prints the probabilities of each expert alone: the network
** (importance sampling, 256 samples), the linear part, the nearest
** neighbours (a reservoir of every one of the N rows, as a fit keeps on a
** table of up to 2,000 rows), the forest read on the row as it is (for
** the columns that kept trees), and the level the model's own blend
** picks; cols also gives each column's forest share (and the second
** member's shares, network, neighbours, forest, as "member").
** For each missing numeric cell, nums prints vae_infer's estimate as the
** model makes it ("final") and as each expert alone would, in both members
** (the other shares set to 0, the pull to the linear part off): the
** network ("net"), the linear part ("lin"), the neighbours the fit kept
** ("knn") and the forest ("forest"; these two of the first member alone),
** each only for the columns that have it; the estimate without the
** pull ("nopull"); and the share of the cell's variance the row's
** observed cells explain under the first member's linear part ("r2",
** vae_linear_row's, which the pull reads).
** A diagnostic for people, not part of the extension; links core/ only.
*/
#include "mem.h"
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static void put_probs(const char *key, const double *p, int L) {
  printf(",\"%s\":[", key);
  for (int l = 0; l < L; l++) printf("%s%.6g", l ? "," : "", p[l]);
  printf("]");
}

static void print_cols(const vae_model *m) {
  for (int j = 0; j < m->p; j++) {
    const vae_column *c = &m->cols[j];
    printf("{\"name\":\"%s\",\"kind\":\"%s\",\"net_share\":%.4f,\"knn_share\":%.4f,"
           "\"forest_share\":%.4f,",
           c->name, vae_kind_name(c->kind), vae_model_network_share(m, j),
           vae_model_knn_share(m, j), vae_model_forest_share(m, j));
    const vae_model *m2 = m->member;
    if (m2)
      printf("\"member\":[%.4f,%.4f,%.4f],", vae_model_network_share(m2, j),
             vae_model_knn_share(m2, j), vae_model_forest_share(m2, j));
    printf("\"levels\":[");
    for (int l = 0; l < c->nlevels; l++) printf("%s\"%s\"", l ? "," : "", c->levels[l]);
    printf("]}\n");
  }
}

static int print_cells(vae_model *m, const float *x, int n) {
  const int p = m->p, W = m->x_width;
  float *out = calloc((size_t)n * p, sizeof(float));
  float *net = calloc((size_t)n * W, sizeof(float));
  double *kest = calloc((size_t)n * p, sizeof(double));
  double *kprobs = calloc((size_t)n * W, sizeof(double));
  double *lp = calloc((size_t)W + 2, sizeof(double)), *pr = calloc((size_t)W + 2, sizeof(double));
  if (!out || !net || !kest || !kprobs || !lp || !pr) return 1;
  if (vae_infer_probs(m, n, x, 256, 0, out, net, NULL, NULL)) return 1;
  /* The neighbours of every row, whatever the model kept. */
  vae_knn_free(&m->mem, &m->knn);
  int64_t *idx = malloc((size_t)n * sizeof *idx);
  for (int i = 0; i < n; i++) idx[i] = i;
  if (vae_knn_build(m, x, idx, n, &m->knn)) return 1;
  vae_knn_work *kw = vae_knn_work_alloc(m);
  vae_knn_rows(m, x, n, NULL, kw, kest, kprobs);
  vae_linear_work *lw = m->lin.d ? vae_linear_work_alloc(&m->mem, vae_linear_work_width(m)) : NULL;
  for (int r = 0; r < n; r++)
    for (int j = 0; j < p; j++) {
      const vae_column *c = &m->cols[j];
      if (vae_is_numeric(c->kind) || !isnan(x[(size_t)r * p + j])) continue;
      const int L = c->kind == VAE_CATEGORICAL ? c->nlevels : 2;
      const size_t o = (size_t)r * W + m->off[j];
      printf("{\"r\":%d,\"j\":%d,\"final\":%d", r, j, (int)out[(size_t)r * p + j]);
      for (int l = 0; l < L; l++)
        pr[l] = c->kind == VAE_CATEGORICAL ? net[o + l] : l ? net[o] : 1 - net[o];
      put_probs("net", pr, L);
      if (lw) {
        vae_linear_probs(m, j, x + (size_t)r * p, lw, lp);
        if (c->kind == VAE_BINARY) lp[1] = lp[0], lp[0] = 1 - lp[1];
        put_probs("lin", lp, L);
      }
      if (!isnan(kest[(size_t)r * p + j])) {
        for (int l = 0; l < L; l++)
          pr[l] = c->kind == VAE_CATEGORICAL ? kprobs[o + l] : l ? kprobs[o] : 1 - kprobs[o];
        put_probs("knn", pr, L);
      }
      if (vae_forest_has(m, j)) {
        vae_forest_probs(m, j, x + (size_t)r * p, lp);
        if (c->kind == VAE_BINARY) lp[1] = lp[0], lp[0] = 1 - lp[1];
        put_probs("forest", lp, L);
      }
      printf("}\n");
    }
  vae_linear_work_free(lw);
  vae_knn_work_free(kw);
  return 0;
}

/* The shares of m and its member, set to one expert's (or put back). */
typedef struct {
  float *blend, *knn, *forest;
} shares;

static int save_shares(const vae_model *m, shares *s) {
  const size_t b = (size_t)m->p * sizeof(float);
  s->blend = malloc(b), s->knn = malloc(b), s->forest = malloc(b);
  if (!s->blend || !s->knn || !s->forest) return 1;
  memcpy(s->blend, m->blend, b), memcpy(s->knn, m->knn_share, b);
  memcpy(s->forest, m->forest_share, b);
  return 0;
}

/* expert: 0 as fitted, 1 the network, 2 the linear part, 3 the
** neighbours, 4 the forest, 5 as fitted without the pull. */
static void set_shares(vae_model *m, const shares *s, int expert) {
  const size_t b = (size_t)m->p * sizeof(float);
  memcpy(m->blend, s->blend, b), memcpy(m->knn_share, s->knn, b);
  memcpy(m->forest_share, s->forest, b);
  m->pull = expert == 0;
  if (expert == 0 || expert == 5) return;
  for (int j = 0; j < m->p; j++) {
    m->blend[j] = expert == 2 ? 0.0f : 1.0f;
    m->knn_share[j] = expert == 3 ? 1.0f : 0.0f;
    m->forest_share[j] = expert == 4 ? 1.0f : 0.0f;
  }
}

/* Whether column j of m has the expert (nums prints null where not). */
static int has_expert(const vae_model *m, int j, int expert) {
  if (expert == 2) return m->lin.d != 0;
  if (expert == 3) return m->knn.n > 0;
  if (expert == 4) return vae_forest_has(m, j);
  return 1;
}

static int print_nums(vae_model *m, const float *x, int n) {
  static const char *name[] = {"final", "net", "lin", "knn", "forest", "nopull"};
  enum { E = 6 };
  const int p = m->p;
  vae_model *m2 = m->member;
  shares s1, s2;
  float *out = malloc((size_t)E * n * p * sizeof(float));
  if (!out || save_shares(m, &s1) || (m2 && save_shares(m2, &s2))) return 1;
  for (int e = 0; e < E; e++) {
    set_shares(m, &s1, e);
    if (m2) set_shares(m2, &s2, e);
    /* The neighbours and the forest: the first member's (a member keeps
    ** no reservoir of its own where its shares are 0). */
    m->member = e == 3 || e == 4 ? NULL : m2;
    if (vae_infer(m, VAE_MEAN, n, x, NULL, 0, out + (size_t)e * n * p, NULL)) return 1;
    m->member = m2;
  }
  vae_linear_work *lw = m->lin.d ? vae_linear_work_alloc(&m->mem, vae_linear_work_width(m)) : NULL;
  double *lin = malloc((size_t)p * 2 * sizeof(double)), *r2 = lin ? lin + p : NULL;
  if ((m->lin.d && !lw) || !lin) return 1;
  for (int r = 0; r < n; r++) {
    if (lw) vae_linear_row(m, x + (size_t)r * p, lw, lin, r2);
    for (int j = 0; j < p; j++) {
      if (!vae_is_numeric(m->cols[j].kind) || !isnan(x[(size_t)r * p + j])) continue;
      printf("{\"r\":%d,\"j\":%d", r, j);
      if (lw && !isnan(r2[j])) printf(",\"r2\":%.6g", r2[j]);
      for (int e = 0; e < E; e++) {
        if (has_expert(m, j, e))
          printf(",\"%s\":%.9g", name[e], out[((size_t)e * n + r) * p + j]);
        else
          printf(",\"%s\":null", name[e]);
      }
      printf("}\n");
    }
  }
  vae_linear_work_free(lw);
  free(lin);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: cat_diag cols MODEL | cat_diag cells|nums MODEL ROWS.f32 N\n");
    return 2;
  }
  size_t len;
  unsigned char *blob = read_all(argv[2], &len);
  char err[512];
  vae_model *m;
  if (!blob || vae_model_load(&vae_allocator_libc, blob, len, &m, err, sizeof err)) {
    fprintf(stderr, "cat_diag: cannot load %s\n", argv[2]);
    return 1;
  }
  if (!strcmp(argv[1], "cols")) {
    print_cols(m);
    return 0;
  }
  if (argc < 5) return 2;
  int n = atoi(argv[4]);
  size_t xl;
  float *x = (float *)read_all(argv[3], &xl);
  if (!x || xl != (size_t)n * m->p * sizeof(float)) {
    fprintf(stderr, "cat_diag: %s is not %d rows of %d columns\n", argv[3], n, m->p);
    return 1;
  }
  return strcmp(argv[1], "nums") ? print_cells(m, x, n) : print_nums(m, x, n);
}
