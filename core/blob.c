/*
** blob.c -- the model as bytes, for the vae_models table.
**
** Layout, every integer little-endian, floats as IEEE-754 bits:
**   "VAEM" u32 version
**   since version 5: str writer (VAE_VERSION of the build that wrote it,
**           core/version.h; at most 64 bytes, not needed to read the rest)
**   config: u32 latent, nhidden, hidden[nhidden], epochs, batch, samples,
**           impute_samples, patience; up to version 6: u32 verbose; u64
**           seed; up to version 6: i64 max_rows; f64 lr, beta, holdout,
**           mask_rate; since version 4: u32 missing (0 MAR, 1 MNAR: then
**           params hold the missingness model too); since version 17:
**           u32 wide_rank, wide_levels (vae.h; older blobs: rank 0, no
**           low-rank output). verbose and max_rows were the extension's
**           settings: read and ignored
**   u32 p, then per column: str name, u32 kind, f64 mean sd min max,
**           i64 observed, u32 nlevels, str levels[nlevels],
**           and for real and integer columns u32 nq, f32 quantiles[nq]
**   since version 6: after each column's kind, u32 format (the caller's
**           code, vae_column.format; read as 0 from older versions)
**   since version 3: f32 blend[p] (the network's share of each column's
**           estimate), u32 d, and when d > 0 the linear part: f64 mean[d],
**           f64 cov[d * (d + 1) / 2] (lower triangle, by rows)
**   since version 7: generation's calibration (model.h, calibrate.c):
**           u32 nq (0: none); when nq > 0, f32 q[p * nq] (per column,
**           numeric ones sorted; zeros for the others) and f32
**           shift[width] (one per encoded value, added to binary and
**           categorical logits; width as the linear part's d)
**   since version 9, when the calibration's nq > 0: f64 the temperature
**           of generation's numeric noise (noise.c; 0 < t <= 1, and
**           since version 15 0 < t <= 2: vae_temperature_widen)
**   since version 10: the nearest-neighbour expert (knn.c): f32
**           knn_share[p] (each within [0, 1], all 0 when n is 0), u32 n
**           (at most vae_knn_capacity of the encoded width), f32
**           rows[n * p] (NaN: missing; numeric values within the column's
**           [min, max], binary 0 or 1, level indices below nlevels). Older
**           blobs get none
**   since version 11: f32 spread[p], the scale of each column's draws
**           (spread.c; within [0.25, 8], 1 for binary and categorical
**           columns). Older blobs draw with 1
**   since version 12: the forest expert (forest.c, model.h): f32
**           forest_share[p] (each within [0, 1]; 0 for a column without
**           trees), u32 trees (0 or VAE_FOREST_TREES); when trees > 0:
**           u32 nodes, u32 nprob, i32 root[p * trees] (-1: none), per node
**           i32 feat, f32 thr, i32 kid, u32 miss (0 or 1), then f32
**           prob[nprob] (a leaf's P(1) or level shares, each within
**           [0, 1]); checked whole by vae_forest_check (trees only for
**           columns forest.c grows them for, children after their parent
**           within the tree, no split on the tree's own column). Older
**           blobs get none
**   since version 13: the split linear part (model.h's vae_split,
**           linear.c): u32 d (0: none); when d > 0: f64 mass[p] (NaN: no
**           point mass; finite only for real and integer columns), u32
**           use[p] (0 or 1, 1 only where mass is finite), f64 mean[d], f64
**           cov[d * (d + 1) / 2] (lower triangle, by rows); d must be the
**           width of the split encoding of mass (vae_split_width) and the
**           plain linear part present. Older blobs get none
**   since version 14: the second member (model.h, vae_fit): u64 length (0:
**           none), then that many bytes, the member's own whole blob (magic
**           to checksum) of this same version, read as strictly as this one;
**           a member's blob may hold no member (its length 0), and its
**           columns must be this model's (names, kinds, levels). Older
**           blobs get none
**   since version 15: the same layout; the temperature may be above 1
**           (above)
**   since version 16, after the member: the columns imputed by
**           their marginal (model.h, train.c's choose_modes): u32
**           modal[p] (0 or 1; 1 only for a binary or categorical column,
**           before version 17 only one the forest takes, vae_forest_width
**           > 0), then for each column
**           with modal 1 its training shares, f32 marginal[w] (w 1 for
**           binary: P(1); nlevels for categorical, summing to 1 within
**           1e-3), each within [0, 1]. Older blobs get none (all 0)
**   since version 18, after the marginal columns: u32 pulled[p] (0 or 1;
**           1 only for a real or integer column): whether the pull to
**           the linear part moves the column's estimates (model.h,
**           train.c's choose_pulls). Older blobs get 1 for every real and
**           integer column
**   since version 19: the same layout; a real or integer column may have
**           trees too (regression trees: a leaf's prob is a value within
**           the column's [min, max]). Older blobs have them for binary and
**           categorical columns only
**   since version 20: after each real or integer column's quantiles, u32
**           smoothed (1: its values map to normal scores through
**           vae_smooth_table of them, transform.h, made again as the blob
**           is read; 0: through the quantiles themselves, as in every
**           older blob and in a model fitted before, saved again)
**   since version 21: that field may also be 2 (the column's values map
**           to normal scores through a normal table of its mean and sd,
**           transform.h's vae_normal_table, made again as the blob is
**           read: z-scores; a second member's, train.c's vae_fit), a
**           table whose entries must be finite floats
**   u64 nparams, f32 params[nparams]; since version 8 an MNAR model of up
**           to VAE_CROSS_MAX_COLS columns holds p x p cross-column slopes
**           after the log-variances and selection (model.h), which older
**           ones lack: read as 0; since version 17 the wide columns' U and
**           V follow (model.h's lowrank)
**   u32 CRC-32 of all bytes before it
** (str = u32 length + bytes). The reader checks the checksum first, then
** every length against what is left, so a damaged blob is refused and never
** read past its end.
*/
#include "mem.h"
#include "model.h"
#include "transform.h"
#include "version.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define BLOB_MAGIC "VAEM"
#define BLOB_VERSION VAE_BLOB_FORMAT
#define BLOB_OLDEST_VERSION 2u
#define MAX_COLUMNS 100000u
#define MAX_LEVELS 10000000u
#define MAX_WRITER 64u

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320), one entry per
** byte value: entry i is i's remainder after 8 shifts. A constant table,
** not one built on first use: nothing here is shared mutable state. */
static const uint32_t crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

static uint32_t crc32_bytes(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

/* ---- writing: first pass counts (buf NULL), second pass fills. ---- */
typedef struct {
  unsigned char *buf;
  size_t at;
} writer;

static void put_bytes(writer *w, const void *src, size_t n) {
  if (w->buf) memcpy(w->buf + w->at, src, n);
  w->at += n;
}
static void put_u64(writer *w, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
  put_bytes(w, b, 8);
}
static void put_u32(writer *w, uint32_t v) {
  unsigned char b[4];
  for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
  put_bytes(w, b, 4);
}
static void put_f64(writer *w, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  put_u64(w, u);
}
static void put_str(writer *w, const char *s) {
  size_t n = strlen(s);
  put_u32(w, (uint32_t)n);
  put_bytes(w, s, n);
}

static void put_f32s(writer *w, const float *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &v[i], 4);
    put_u32(w, u);
  }
}

static void put_forest(writer *w, const vae_model *m) {
  const vae_forest *f = &m->forest;
  put_f32s(w, m->forest_share, (size_t)m->p);
  put_u32(w, (uint32_t)f->trees);
  if (!f->trees) return;
  put_u32(w, (uint32_t)f->nodes);
  put_u32(w, (uint32_t)f->nprob);
  for (size_t i = 0; i < (size_t)m->p * f->trees; i++) put_u32(w, (uint32_t)f->root[i]);
  for (int i = 0; i < f->nodes; i++) {
    put_u32(w, (uint32_t)f->feat[i]);
    put_f32s(w, &f->thr[i], 1);
    put_u32(w, (uint32_t)f->kid[i]);
    put_u32(w, f->miss[i]);
  }
  put_f32s(w, f->prob, (size_t)f->nprob);
}

/* ---- Format 13 sections ---- */

/* The split linear part (version 13 on; the layout above). */
static void put_split(writer *w, const vae_model *m) {
  const vae_split *s = &m->split;
  put_u32(w, (uint32_t)s->g.d);
  if (!s->g.d) return;
  for (int j = 0; j < m->p; j++) put_f64(w, s->mass[j]);
  for (int j = 0; j < m->p; j++) put_u32(w, s->use[j]);
  for (int a = 0; a < s->g.d; a++) put_f64(w, s->g.mean[a]);
  for (int a = 0; a < s->g.d; a++)
    for (int c = 0; c <= a; c++) put_f64(w, s->g.cov[(size_t)a * s->g.d + c]);
}

static void write_model(writer *w, const vae_model *m);

/* ---- Format 16 sections ---- */

/* The columns imputed by their marginal (version 16 on; the layout
** above). */
static void put_modal(writer *w, const vae_model *m) {
  for (int j = 0; j < m->p; j++) put_u32(w, m->modal[j]);
  for (int j = 0; j < m->p; j++)
    if (m->modal[j])
      put_f32s(w, m->marginal + m->off[j],
               m->cols[j].kind == VAE_CATEGORICAL ? (size_t)m->cols[j].nlevels : 1);
}

/* ---- Format 18 sections ---- */

/* The columns the pull to the linear part moves (version 18 on). */
static void put_pulled(writer *w, const vae_model *m) {
  for (int j = 0; j < m->p; j++) put_u32(w, m->pulled[j]);
}

/* ---- Format 14 sections ---- */

/* The second member (version 14 on; the layout above): its length, then
** its whole blob, checksum included. */
static void put_member(writer *w, const vae_model *m) {
  if (!m->member) {
    put_u64(w, 0);
    return;
  }
  writer size = {NULL, 0};
  write_model(&size, m->member);
  put_u64(w, (uint64_t)size.at + 4);
  size_t start = w->at;
  write_model(w, m->member);
  put_u32(w, w->buf ? crc32_bytes(w->buf + start, w->at - start) : 0);
}

static void write_model(writer *w, const vae_model *m) {
  const vae_config *c = &m->cfg;
  put_bytes(w, BLOB_MAGIC, 4);
  put_u32(w, BLOB_VERSION);
  put_str(w, VAE_VERSION);
  put_u32(w, (uint32_t)c->latent);
  put_u32(w, (uint32_t)c->nhidden);
  for (int i = 0; i < c->nhidden; i++) put_u32(w, (uint32_t)c->hidden[i]);
  put_u32(w, (uint32_t)c->epochs);
  put_u32(w, (uint32_t)c->batch);
  put_u32(w, (uint32_t)c->samples);
  put_u32(w, (uint32_t)c->impute_samples);
  put_u32(w, (uint32_t)c->patience);
  put_u64(w, c->seed);
  put_f64(w, c->lr);
  put_f64(w, c->beta);
  put_f64(w, c->holdout);
  put_f64(w, c->mask_rate);
  put_u32(w, (uint32_t)c->missing);
  put_u32(w, (uint32_t)c->wide_rank);
  put_u32(w, (uint32_t)c->wide_levels);
  put_u32(w, (uint32_t)m->p);
  for (int j = 0; j < m->p; j++) {
    const vae_column *col = &m->cols[j];
    put_str(w, col->name);
    put_u32(w, (uint32_t)col->kind);
    put_u32(w, (uint32_t)col->format);
    put_f64(w, col->mean);
    put_f64(w, col->sd);
    put_f64(w, col->min);
    put_f64(w, col->max);
    put_u64(w, (uint64_t)col->observed);
    put_u32(w, (uint32_t)col->nlevels);
    for (int l = 0; l < col->nlevels; l++) put_str(w, col->levels[l]);
    if (col->kind == VAE_REAL || col->kind == VAE_INTEGER) {
      put_u32(w, (uint32_t)col->nq);
      for (int k = 0; k < col->nq; k++) {
        uint32_t u;
        memcpy(&u, &col->quantiles[k], 4);
        put_u32(w, u);
      }
      put_u32(w, col->score_q ? (uint32_t)col->scores : VAE_SCORES_QUANTILES);
    }
  }
  for (int j = 0; j < m->p; j++) {
    uint32_t u;
    memcpy(&u, &m->blend[j], 4);
    put_u32(w, u);
  }
  const vae_linear *lin = &m->lin;
  put_u32(w, (uint32_t)lin->d);
  for (int a = 0; a < lin->d; a++) put_f64(w, lin->mean[a]);
  for (int a = 0; a < lin->d; a++)
    for (int c = 0; c <= a; c++) put_f64(w, lin->cov[(size_t)a * lin->d + c]);
  put_u32(w, (uint32_t)m->cal.nq);
  put_f32s(w, m->cal.q, (size_t)m->p * m->cal.nq);
  if (m->cal.nq) {
    put_f32s(w, m->cal.shift, (size_t)m->x_width);
    put_f64(w, m->cal.temp);
  }
  put_f32s(w, m->knn_share, (size_t)m->p); /* all 0 without a reservoir */
  put_u32(w, (uint32_t)m->knn.n);
  for (size_t i = 0; i < (size_t)m->knn.n * m->p; i++) {
    uint32_t u;
    memcpy(&u, &m->knn.rows[i], 4);
    put_u32(w, u);
  }
  put_f32s(w, m->spread, (size_t)m->p);
  put_forest(w, m);
  put_split(w, m);
  put_member(w, m);
  put_modal(w, m);
  put_pulled(w, m);
  put_u64(w, (uint64_t)m->nparams);
  for (size_t i = 0; i < m->nparams; i++) {
    uint32_t u;
    memcpy(&u, &m->params[i], 4);
    put_u32(w, u);
  }
}

int vae_model_save(const vae_model *m, unsigned char **blob, size_t *len) {
  writer w = {NULL, 0};
  write_model(&w, m);
  size_t n = w.at + 4;
  w.buf = vae_malloc(&m->mem, n);
  if (!w.buf) return VAE_NOMEM;
  w.at = 0;
  write_model(&w, m);
  put_u32(&w, crc32_bytes(w.buf, w.at));
  *blob = w.buf;
  *len = n;
  return VAE_OK;
}

/* ---- reading: every get checks what is left; a failure sticks. ---- */
typedef struct {
  const unsigned char *p;
  size_t left;
  int bad;
  const vae_allocator *mem; /* for what is read out: names, levels, ... */
} reader;

static int take(reader *r, void *dst, size_t n) {
  if (r->bad || n > r->left) {
    r->bad = 1;
    if (dst) memset(dst, 0, n);
    return 0;
  }
  if (dst) memcpy(dst, r->p, n);
  r->p += n;
  r->left -= n;
  return 1;
}
static uint64_t get_u64(reader *r) {
  unsigned char b[8];
  uint64_t v = 0;
  take(r, b, 8);
  for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
  return v;
}
static uint32_t get_u32(reader *r) {
  unsigned char b[4];
  uint32_t v = 0;
  take(r, b, 4);
  for (int i = 3; i >= 0; i--) v = (v << 8) | b[i];
  return v;
}
static double get_f64(reader *r) {
  uint64_t u = get_u64(r);
  double v;
  memcpy(&v, &u, 8);
  return v;
}
/* A NUL-terminated copy, or NULL with *nomem set or r->bad set. */
static char *get_str(reader *r, int *nomem) {
  uint32_t n = get_u32(r);
  if (r->bad || n > r->left) {
    r->bad = 1;
    return NULL;
  }
  char *s = vae_malloc(r->mem, (size_t)n + 1);
  if (!s) {
    *nomem = 1;
    return NULL;
  }
  take(r, s, n);
  s[n] = 0;
  if (strlen(s) != n) { /* an embedded NUL: not a name we wrote */
    vae_free(r->mem, s);
    r->bad = 1;
    return NULL;
  }
  return s;
}

/* Shares and the linear part (version 3 on), checked before anything is
** sized by them: d must be the columns' encoded width, every number
** finite, shares within [0, 1], variances positive. Version 2 blobs get
** the network alone. */
static int read_gaussian(reader *r, uint32_t d, vae_linear *lin);
static int read_linear(reader *r, uint32_t version, const vae_column *cols,
                       uint32_t p, float *blend, vae_linear *lin) {
  for (uint32_t j = 0; j < p; j++) blend[j] = 1.0f;
  if (version < 3) return VAE_OK;
  for (uint32_t j = 0; j < p; j++) {
    uint32_t u = get_u32(r);
    memcpy(&blend[j], &u, 4);
    if (!(blend[j] >= 0.0f && blend[j] <= 1.0f)) r->bad = 1;
  }
  uint32_t d = get_u32(r);
  if (r->bad) return VAE_CORRUPT;
  if (d == 0) return VAE_OK;
  if (d != (uint64_t)vae_encoded_width(cols, (int)p) || d > VAE_LINEAR_MAX_WIDTH ||
      ((uint64_t)d + (uint64_t)d * (d + 1) / 2) * 8 > r->left)
    return VAE_CORRUPT;
  return read_gaussian(r, d, lin);
}

/* A Gaussian of d dims (d checked, and its bytes against what is left, by
** the caller): f64 mean[d], f64 cov's lower triangle; every number
** finite, variances positive, cov positive definite. */
static int read_gaussian(reader *r, uint32_t d, vae_linear *lin) {
  lin->mean = vae_malloc(r->mem, d * sizeof(double));
  lin->cov = vae_malloc(r->mem, (size_t)d * d * sizeof(double));
  if (!lin->mean || !lin->cov) {
    vae_linear_free(r->mem, lin);
    return VAE_NOMEM;
  }
  lin->d = (int)d;
  for (uint32_t a = 0; a < d; a++)
    if (!isfinite(lin->mean[a] = get_f64(r))) r->bad = 1;
  for (uint32_t a = 0; a < d; a++)
    for (uint32_t c = 0; c <= a; c++) {
      double v = get_f64(r);
      if (!isfinite(v) || (a == c && !(v > 0))) r->bad = 1;
      lin->cov[(size_t)a * d + c] = lin->cov[(size_t)c * d + a] = v;
    }
  return r->bad ? VAE_CORRUPT : vae_linear_prepare(r->mem, lin);
}

/* ---- Format 13 sections ---- */

/* The split linear part (version 13 on) into *s, checked as the layout
** above says before anything is sized by it (its offsets are laid out
** once the model exists: vae_split_prepare). has_lin: the blob has the
** plain linear part. Older blobs get none. */
static int read_split(reader *r, uint32_t version, const vae_column *cols, uint32_t p,
                      int has_lin, vae_split *s) {
  memset(s, 0, sizeof *s);
  if (version < 13) return VAE_OK;
  uint32_t d = get_u32(r);
  if (r->bad) return VAE_CORRUPT;
  if (d == 0) return VAE_OK;
  if (!has_lin || d > VAE_LINEAR_MAX_WIDTH ||
      (uint64_t)p * 12 + ((uint64_t)d + (uint64_t)d * (d + 1) / 2) * 8 > r->left)
    return VAE_CORRUPT;
  int rc = vae_split_alloc(r->mem, (int)p, s);
  if (rc) return rc;
  for (uint32_t j = 0; j < p; j++) {
    s->mass[j] = get_f64(r);
    if (!isnan(s->mass[j]) && (!isfinite(s->mass[j]) || !vae_is_numeric(cols[j].kind))) r->bad = 1;
  }
  for (uint32_t j = 0; j < p; j++) {
    uint32_t u = get_u32(r);
    if (u > 1 || (u && isnan(s->mass[j]))) r->bad = 1;
    s->use[j] = (unsigned char)(u == 1);
  }
  if (r->bad || vae_split_width(cols, (int)p, s->mass) != (int)d) rc = VAE_CORRUPT;
  if (rc == VAE_OK) rc = read_gaussian(r, d, &s->g);
  if (rc) vae_split_free(r->mem, s);
  return rc;
}

/* n floats into v; any that is not finite marks the reader bad. */
static void get_f32s(reader *r, float *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t u = get_u32(r);
    memcpy(&v[i], &u, 4);
    if (!isfinite(v[i])) r->bad = 1;
  }
}

/* ---- Format 16 sections ---- */

/* The columns imputed by their marginal (version 16 on) into modal[p]
** and marginal (the encoded width, at each column's offset; 0 where a
** column is not marked), checked as the layout above says. Older blobs
** get none. */
static int read_modal(reader *r, uint32_t version, const vae_column *cols, uint32_t p,
                      unsigned char *modal, float *marginal) {
  size_t at = 0;
  for (uint32_t j = 0; j < p; j++) {
    modal[j] = 0;
    for (int l = 0; l < (cols[j].kind == VAE_CATEGORICAL ? cols[j].nlevels : 1); l++)
      marginal[at++] = 0.0f;
  }
  if (version < 16) return VAE_OK;
  for (uint32_t j = 0; j < p; j++) {
    uint32_t u = get_u32(r);
    const int forest = vae_forest_width(&cols[j]) > 0; /* none over 64 levels */
    if (u > 1 || (u && (vae_is_numeric(cols[j].kind) || (version < 17 && !forest)))) r->bad = 1;
    modal[j] = (unsigned char)(u == 1);
  }
  at = 0;
  for (uint32_t j = 0; j < p && !r->bad; j++) {
    const int L = cols[j].kind == VAE_CATEGORICAL ? cols[j].nlevels : 1;
    if (modal[j]) {
      double sum = 0;
      get_f32s(r, marginal + at, (size_t)L);
      for (int l = 0; l < L; l++) {
        if (!(marginal[at + l] >= 0.0f && marginal[at + l] <= 1.0f)) r->bad = 1;
        sum += marginal[at + l];
      }
      if (L > 1 && !(fabs(sum - 1.0) <= 1e-3)) r->bad = 1;
    }
    at += (size_t)L;
  }
  return r->bad ? VAE_CORRUPT : VAE_OK;
}

/* Whether the pull to the linear part moves each column (version 18 on)
** into pulled[p]: 0 or 1, 1 only for a real or integer column. Older
** blobs get 1 for those columns, as every model pulled them. */
static int read_pulled(reader *r, uint32_t version, const vae_column *cols, uint32_t p,
                       unsigned char *pulled) {
  for (uint32_t j = 0; j < p; j++) pulled[j] = (unsigned char)vae_is_numeric(cols[j].kind);
  if (version < 18) return VAE_OK;
  for (uint32_t j = 0; j < p; j++) {
    uint32_t u = get_u32(r);
    if (u > 1 || (u && !vae_is_numeric(cols[j].kind))) r->bad = 1;
    pulled[j] = (unsigned char)(u == 1);
  }
  return r->bad ? VAE_CORRUPT : VAE_OK;
}

/* Generation's calibration (version 7 on), checked before anything is
** sized by it: nq at most MAX_CALIBRATION, every number finite, numeric
** columns' tables sorted, other columns' zero. Older blobs get none. */
#define MAX_CALIBRATION 65536u
static int read_temperature(reader *r, uint32_t version, vae_calibration *cal);
static int read_calibration(reader *r, uint32_t version, const vae_column *cols, uint32_t p,
                            vae_calibration *cal) {
  uint64_t width = 0;
  for (uint32_t j = 0; j < p; j++)
    width += cols[j].kind == VAE_CATEGORICAL ? (uint64_t)cols[j].nlevels : 1;
  memset(cal, 0, sizeof *cal);
  if (version < 7) return VAE_OK;
  uint32_t nq = get_u32(r);
  if (r->bad || nq > MAX_CALIBRATION || ((uint64_t)nq * p + width) * 4 > r->left)
    return VAE_CORRUPT;
  if (nq == 0) return VAE_OK;
  if (vae_calibration_alloc(r->mem, cal, (int)nq, (int)p, (int)width)) return VAE_NOMEM;
  get_f32s(r, cal->q, (size_t)nq * p);
  get_f32s(r, cal->shift, (size_t)width);
  for (uint32_t j = 0; j < p && !r->bad; j++) {
    const float *q = cal->q + (size_t)j * nq;
    int numeric = cols[j].kind == VAE_REAL || cols[j].kind == VAE_INTEGER;
    for (uint32_t k = 0; k < nq; k++)
      if (numeric ? k && q[k] < q[k - 1] : q[k] != 0) r->bad = 1;
  }
  int rc = r->bad ? VAE_CORRUPT : read_temperature(r, version, cal);
  if (rc) vae_calibration_free(r->mem, cal);
  return rc;
}

/* The temperature of generation's noise (version 9 on, after a
** calibration): within (0, 1], from version 15 on (0, 2] (the
** calibration's choice times up to 2, noise.c, vae_temperature_widen).
** Older blobs generate with the decoder's sd. */
static int read_temperature(reader *r, uint32_t version, vae_calibration *cal) {
  if (version < 9) return VAE_OK;
  cal->temp = get_f64(r);
  const double most = version >= 15 ? 2.0 : 1.0;
  return r->bad || !(cal->temp > 0 && cal->temp <= most) ? VAE_CORRUPT : VAE_OK;
}

/* The nearest neighbours' shares and reservoir (version 10 on) into
** share[p] and *k (rows only; the scores are made once the model is),
** checked before anything is sized by them. Older blobs get none. */
static int read_knn(reader *r, uint32_t version, const vae_column *cols, uint32_t p,
                    float *share, vae_knn *k) {
  memset(k, 0, sizeof *k);
  for (uint32_t j = 0; j < p; j++) share[j] = 0.0f;
  if (version < 10) return VAE_OK;
  int any = 0;
  for (uint32_t j = 0; j < p; j++) {
    uint32_t u = get_u32(r);
    memcpy(&share[j], &u, 4);
    if (!(share[j] >= 0.0f && share[j] <= 1.0f)) r->bad = 1;
    any = any || share[j] > 0;
  }
  uint32_t n = get_u32(r);
  if (r->bad || n > (uint32_t)vae_knn_capacity(vae_encoded_width(cols, (int)p)) || (n == 0 && any) ||
      (uint64_t)n * p * 4 > r->left)
    return VAE_CORRUPT;
  if (n == 0) return VAE_OK;
  k->rows = vae_malloc(r->mem, (size_t)n * p * sizeof(float));
  if (!k->rows) return VAE_NOMEM;
  k->n = (int)n;
  for (size_t i = 0; i < (size_t)n * p; i++) {
    uint32_t u = get_u32(r);
    memcpy(&k->rows[i], &u, 4);
  }
  if (r->bad || vae_knn_check(cols, (int)p, k->rows, (int)n)) {
    vae_knn_free(r->mem, k);
    return VAE_CORRUPT;
  }
  return VAE_OK;
}

/* The scale of each column's draws (version 11 on) into spread[p]; older
** blobs draw with 1. */
static int read_spread(reader *r, uint32_t version, const vae_column *cols, uint32_t p,
                       float *spread) {
  for (uint32_t j = 0; j < p; j++) spread[j] = 1.0f;
  if (version < 11) return VAE_OK;
  for (uint32_t j = 0; j < p; j++) {
    uint32_t u = get_u32(r);
    memcpy(&spread[j], &u, 4);
    if (!(spread[j] >= 0.25f && spread[j] <= 8.0f) ||
        (!vae_is_numeric(cols[j].kind) && spread[j] != 1.0f))
      r->bad = 1;
  }
  return r->bad ? VAE_CORRUPT : VAE_OK;
}

/* The forest's shares and trees (version 12 on) into share[p] and *f,
** every count checked against what is left before anything is sized by
** it, the whole then by vae_forest_check. Older blobs get none. */
static int read_forest(reader *r, uint32_t version, const vae_column *cols, uint32_t p,
                       float *share, vae_forest *f) {
  memset(f, 0, sizeof *f);
  for (uint32_t j = 0; j < p; j++) share[j] = 0.0f;
  if (version < 12) return VAE_OK;
  get_f32s(r, share, p);
  uint32_t trees = get_u32(r);
  if (r->bad || (trees != 0 && trees != VAE_FOREST_TREES)) return VAE_CORRUPT;
  if (trees == 0) return vae_forest_check(cols, (int)p, f, share);
  uint32_t nodes = get_u32(r), nprob = get_u32(r);
  if (r->bad || nodes == 0 || nodes > INT32_MAX / 16 || nprob > INT32_MAX / 4 ||
      (uint64_t)p * trees * 4 + (uint64_t)nodes * 16 + (uint64_t)nprob * 4 > r->left)
    return VAE_CORRUPT;
  f->trees = (int)trees;
  f->nodes = (int)nodes;
  f->nprob = (int)nprob;
  f->root = vae_malloc(r->mem, (size_t)p * trees * sizeof(int));
  f->feat = vae_malloc(r->mem, (size_t)nodes * sizeof(int));
  f->thr = vae_malloc(r->mem, (size_t)nodes * sizeof(float));
  f->kid = vae_malloc(r->mem, (size_t)nodes * sizeof(int));
  f->miss = vae_malloc(r->mem, nodes);
  f->prob = vae_malloc(r->mem, (size_t)(nprob ? nprob : 1) * sizeof(float));
  if (!f->root || !f->feat || !f->thr || !f->kid || !f->miss || !f->prob) {
    vae_forest_free(r->mem, f);
    return VAE_NOMEM;
  }
  for (size_t i = 0; i < (size_t)p * trees; i++) f->root[i] = (int32_t)get_u32(r);
  for (uint32_t i = 0; i < nodes; i++) {
    f->feat[i] = (int32_t)get_u32(r);
    get_f32s(r, &f->thr[i], 1);
    f->kid[i] = (int32_t)get_u32(r);
    uint32_t miss = get_u32(r);
    f->miss[i] = miss > 1 ? 2 : (unsigned char)miss;
  }
  get_f32s(r, f->prob, nprob);
  int bad = r->bad || vae_forest_check(cols, (int)p, f, share);
  for (uint32_t j = 0; j < p && !bad && version < 19; j++)
    bad = vae_is_numeric(cols[j].kind) && f->root[(size_t)j * trees] >= 0;
  if (bad) {
    vae_forest_free(r->mem, f);
    return VAE_CORRUPT;
  }
  return VAE_OK;
}

/* The magic, a version this build reads, and the checksum. */
static int read_envelope(const unsigned char *blob, size_t len, uint32_t *version,
                         char *err, size_t errlen) {
  if (!blob || len < 12 || memcmp(blob, BLOB_MAGIC, 4) != 0) {
    vae_set_error(err, errlen, "not a vae model");
    return VAE_CORRUPT;
  }
  reader head = {blob + 4, 4, 0, NULL}, tail = {blob + len - 4, 4, 0, NULL};
  *version = get_u32(&head);
  if (*version < BLOB_OLDEST_VERSION || *version > BLOB_VERSION) {
    vae_set_error(err, errlen,
                  "model format version %u is not supported (this build reads %u to %u)",
                  *version, BLOB_OLDEST_VERSION, BLOB_VERSION);
    return VAE_CORRUPT;
  }
  if (get_u32(&tail) != crc32_bytes(blob, len - 4)) {
    vae_set_error(err, errlen, "model is damaged (checksum mismatch)");
    return VAE_CORRUPT;
  }
  return VAE_OK;
}

/* The writer (version 5 on: skipped, only bounded) and the config; r->bad
** on anything out of bounds. */
static void read_config(reader *r, uint32_t version, vae_config *cfg) {
  if (version >= 5) {
    uint32_t n = get_u32(r);
    if (n > MAX_WRITER) r->bad = 1;
    take(r, NULL, n);
  }
  vae_config_default(cfg);
  cfg->latent = (int)get_u32(r);
  uint32_t nhidden = get_u32(r);
  if (nhidden > VAE_MAX_HIDDEN) r->bad = 1;
  cfg->nhidden = r->bad ? 0 : (int)nhidden;
  for (int i = 0; i < cfg->nhidden; i++) cfg->hidden[i] = (int)get_u32(r);
  cfg->epochs = (int)get_u32(r);
  cfg->batch = (int)get_u32(r);
  cfg->samples = (int)get_u32(r);
  cfg->impute_samples = (int)get_u32(r);
  cfg->patience = (int)get_u32(r);
  if (version <= 6) get_u32(r); /* verbose */
  cfg->seed = get_u64(r);
  if (version <= 6) get_u64(r); /* max_rows */
  cfg->lr = get_f64(r);
  cfg->beta = get_f64(r);
  cfg->holdout = get_f64(r);
  cfg->mask_rate = get_f64(r);
  if (version >= 4) {
    uint32_t missing = get_u32(r);
    if (missing > VAE_MNAR) r->bad = 1;
    cfg->missing = (int)missing;
  }
  cfg->wide_rank = 0; /* older blobs: every column through the dense layer */
  if (version >= 17) {
    uint32_t rank = get_u32(r), levels = get_u32(r);
    if (rank > VAE_WIDE_MAX_RANK || levels < 2 || levels > 0x7fffffff) r->bad = 1;
    cfg->wide_rank = (int)rank;
    cfg->wide_levels = (int)levels;
  }
}

/* One column into *c (zeroed; what it allocates stays in c for
** vae_columns_free): VAE_OK, VAE_NOMEM, or VAE_CORRUPT with r->bad. */
static int read_column(reader *r, uint32_t version, vae_column *c) {
  int nomem = 0;
  c->name = get_str(r, &nomem);
  c->kind = (int)get_u32(r);
  if (version >= 6) {
    uint32_t f = get_u32(r);
    if (f > 0x7fffffffu) r->bad = 1; /* an int of the caller's */
    c->format = (int)(f & 0x7fffffffu);
  }
  c->mean = get_f64(r);
  c->sd = get_f64(r);
  c->min = get_f64(r);
  c->max = get_f64(r);
  c->observed = (int64_t)get_u64(r);
  uint32_t nlevels = get_u32(r);
  if (nomem) return VAE_NOMEM;
  if (r->bad) return VAE_CORRUPT;
  int numeric = c->kind == VAE_REAL || c->kind == VAE_INTEGER;
  if (c->kind < VAE_REAL || c->kind > VAE_CATEGORICAL ||
      (c->kind == VAE_CATEGORICAL) != (nlevels > 0) || nlevels > MAX_LEVELS ||
      nlevels > r->left / 4 || !(c->sd > 0 && isfinite(c->sd)) ||
      !isfinite(c->mean) || !isfinite(c->min) || !isfinite(c->max) ||
      /* outputs are clamped to [min, max] and returned as floats */
      (numeric && !(c->min <= c->max && fabs(c->min) <= FLT_MAX && fabs(c->max) <= FLT_MAX)) ||
      c->observed < 0) {
    r->bad = 1;
    return VAE_CORRUPT;
  }
  if (nlevels) {
    if (!(c->levels = vae_calloc(r->mem, nlevels, sizeof(char *)))) return VAE_NOMEM;
    c->nlevels = (int)nlevels;
    for (uint32_t l = 0; l < nlevels && !r->bad && !nomem; l++)
      c->levels[l] = get_str(r, &nomem);
    if (nomem) return VAE_NOMEM;
    if (r->bad) return VAE_CORRUPT;
  }
  if (!numeric) return VAE_OK;
  uint32_t nq = get_u32(r);
  if (r->bad || nq < 1 || nq > VAE_MAX_QUANTILES || nq > r->left / 4) {
    r->bad = 1;
    return VAE_CORRUPT;
  }
  if (!(c->quantiles = vae_malloc(r->mem, nq * sizeof(float)))) return VAE_NOMEM;
  c->nq = (int)nq;
  for (uint32_t k = 0; k < nq; k++) {
    uint32_t u = get_u32(r);
    memcpy(&c->quantiles[k], &u, 4);
    /* finite and sorted, or the score map is not monotone */
    if (!isfinite(c->quantiles[k]) || (k && c->quantiles[k] < c->quantiles[k - 1])) r->bad = 1;
  }
  const uint32_t scores = version >= 20 ? get_u32(r) : VAE_SCORES_QUANTILES;
  if (r->bad || scores > (version >= 21 ? VAE_SCORES_NORMAL : VAE_SCORES_SMOOTH)) {
    r->bad = 1;
    return VAE_CORRUPT;
  }
  int rc = vae_column_scores(r->mem, c, (int)scores);
  if (rc == VAE_CORRUPT) r->bad = 1; /* a normal table beyond floats: never written */
  return rc;
}

/* How many parameters a blob of this version holds for layout L: all but
** the cross-column slopes before version 8. */
static uint64_t stored_params(uint32_t version, const vae_layout *L, uint32_t p) {
  return version < 8 && L->cross ? L->nparams - (uint64_t)p * p : L->nparams;
}

/* The parameters: exactly what is left, every one finite; those a blob
** of an older version lacks stay 0. */
static int read_params(reader *r, uint32_t version, vae_model *m, char *err, size_t errlen) {
  uint64_t nparams = get_u64(r);
  uint64_t want = version < 8 && m->cross ? m->nparams - (uint64_t)m->p * m->p : m->nparams;
  if (r->bad || nparams != want || r->left != nparams * 4) {
    vae_set_error(err, errlen, "model is damaged (parameter count)");
    return VAE_CORRUPT;
  }
  for (size_t i = 0; i < want; i++) {
    uint32_t u = get_u32(r);
    memcpy(&m->params[i], &u, 4);
    if (!isfinite(m->params[i])) {
      vae_set_error(err, errlen, "model is damaged (parameter %zu is not finite)", i);
      return VAE_CORRUPT;
    }
  }
  return VAE_OK;
}

/* The model for cfg and cols, once the config and the parameter count
** (what is left of the blob but the u64 count) agree with them: a damaged
** header may not make the reader allocate a network that the blob does
** not hold. Checked before vae_model_alloc allocates. */
static int make_model(const vae_allocator *mem, uint32_t version, const vae_column *cols,
                      uint32_t p, const vae_config *cfg, size_t left, vae_model **m,
                      char *err, size_t errlen) {
  char why[200];
  if (vae_config_check(cfg, (int)p, why, sizeof why)) {
    vae_set_error(err, errlen, "model is damaged (%s)", why);
    return VAE_CORRUPT;
  }
  vae_layout L;
  if (vae_layout_of((int)p, vae_encoded_width(cols, (int)p), cols, cfg, &L) || left < 8 ||
      (left - 8) % 4 != 0 || (left - 8) / 4 != stored_params(version, &L, p)) {
    vae_set_error(err, errlen, "model is damaged (parameter count)");
    return VAE_CORRUPT;
  }
  int rc = vae_model_alloc(mem, cols, (int)p, cfg, m, why, sizeof why);
  if (rc == VAE_NOMEM) return rc;
  if (rc) {
    vae_set_error(err, errlen, "model is damaged (%s)", why);
    return VAE_CORRUPT;
  }
  /* A blob in an untrusted file may ask for any number of samples. */
  if (vae_infer_check(*m, (*m)->cfg.impute_samples, err, errlen)) return VAE_CORRUPT;
  return VAE_OK;
}

static int load_model(const vae_allocator *mem, const unsigned char *blob, size_t len,
                      vae_model **out, char *err, size_t errlen, int depth);

/* Whether member m2 reads the columns cols[p] as they are: the same names,
** kinds and levels (ensemble_rows averages cell by cell). */
static int same_columns(const vae_model *m2, const vae_column *cols, uint32_t p) {
  if (m2->p != (int)p) return 0;
  for (uint32_t j = 0; j < p; j++) {
    const vae_column *a = &m2->cols[j], *b = &cols[j];
    if (strcmp(a->name, b->name) || a->kind != b->kind || a->nlevels != b->nlevels) return 0;
    for (int l = 0; l < a->nlevels; l++)
      if (strcmp(a->levels[l], b->levels[l])) return 0;
  }
  return 1;
}

/* The second member (version 14 on) into *member (NULL: none), its blob
** loaded as strictly as this one, at depth 1 (a member's member is
** damage). Older blobs get none. */
static int read_member(reader *r, uint32_t version, int depth, const vae_column *cols,
                       uint32_t p, vae_model **member, char *err, size_t errlen) {
  *member = NULL;
  if (version < 14) return VAE_OK;
  uint64_t n = get_u64(r);
  if (r->bad || n > r->left) {
    vae_set_error(err, errlen, "model is damaged (bad member)");
    return VAE_CORRUPT;
  }
  if (n == 0) return VAE_OK;
  if (depth > 0 || n < 12 || get_u32(&(reader){r->p + 4, 4, 0, NULL}) != version) {
    vae_set_error(err, errlen, "model is damaged (bad member)");
    return VAE_CORRUPT;
  }
  char why[200];
  int rc = load_model(r->mem, r->p, (size_t)n, member, why, sizeof why, depth + 1);
  if (rc == VAE_OK && !same_columns(*member, cols, p)) {
    vae_set_error(why, sizeof why, "its columns differ");
    rc = VAE_CORRUPT;
  }
  if (rc) {
    vae_model_free(*member);
    *member = NULL;
    if (rc != VAE_NOMEM) vae_set_error(err, errlen, "model is damaged (bad member: %s)", why);
    return rc == VAE_NOMEM ? VAE_NOMEM : VAE_CORRUPT;
  }
  take(r, NULL, (size_t)n);
  return VAE_OK;
}

int vae_model_load(const vae_allocator *mem, const unsigned char *blob, size_t len,
                   vae_model **out, char *err, size_t errlen) {
  return load_model(mem, blob, len, out, err, errlen, 0);
}

static int load_model(const vae_allocator *mem, const unsigned char *blob, size_t len,
                      vae_model **out, char *err, size_t errlen, int depth) {
  uint32_t version;
  *out = NULL;
  vae_blas_ready();
  int rc = read_envelope(blob, len, &version, err, errlen);
  if (rc) return rc;
  reader r = {blob + 8, len - 12, 0, mem};
  vae_config cfg;
  read_config(&r, version, &cfg);
  uint32_t p = get_u32(&r);
  /* A column takes at least 52 bytes (an empty name; u32 length, u32 kind,
  ** 4 f64, i64 observed, u32 nlevels): a damaged count may not make the
  ** reader allocate for columns that the blob cannot hold. */
  if (r.bad || p < 1 || p > MAX_COLUMNS || p > r.left / 52 || cfg.latent < 1) {
    vae_set_error(err, errlen, "model is damaged (bad header)");
    return VAE_CORRUPT;
  }
  vae_column *cols = vae_columns_alloc(mem, (int)p);
  float *blend = vae_malloc(mem, p * sizeof(float));
  float *knn_share = vae_malloc(mem, p * sizeof(float));
  float *spread = vae_malloc(mem, p * sizeof(float));
  float *forest_share = vae_malloc(mem, p * sizeof(float));
  unsigned char *modal = vae_malloc(mem, p), *pulled = vae_malloc(mem, p);
  float *marginal = NULL; /* the encoded width, once the columns are read */
  vae_forest forest;
  memset(&forest, 0, sizeof forest);
  vae_knn knn = {0, NULL, NULL};
  vae_linear lin = {0, NULL, NULL, NULL, 0};
  vae_split split;
  memset(&split, 0, sizeof split);
  vae_calibration cal = {0};
  vae_model *m = NULL, *member = NULL;
  rc = cols && blend && knn_share && spread && forest_share && modal && pulled ? VAE_OK : VAE_NOMEM;
  for (uint32_t j = 0; j < p && rc == VAE_OK; j++) rc = read_column(&r, version, &cols[j]);
  if (rc == VAE_CORRUPT) vae_set_error(err, errlen, "model is damaged (bad columns)");
  if (rc == VAE_OK) {
    rc = read_linear(&r, version, cols, p, blend, &lin);
    if (rc == VAE_CORRUPT) vae_set_error(err, errlen, "model is damaged (bad linear part)");
  }
  if (rc == VAE_OK) {
    rc = read_calibration(&r, version, cols, p, &cal);
    if (rc == VAE_CORRUPT) vae_set_error(err, errlen, "model is damaged (bad calibration)");
  }
  if (rc == VAE_OK) {
    rc = read_knn(&r, version, cols, p, knn_share, &knn);
    if (rc == VAE_CORRUPT) vae_set_error(err, errlen, "model is damaged (bad nearest neighbours)");
  }
  if (rc == VAE_OK) {
    rc = read_spread(&r, version, cols, p, spread);
    if (rc == VAE_CORRUPT) vae_set_error(err, errlen, "model is damaged (bad draw spread)");
  }
  if (rc == VAE_OK) {
    rc = read_forest(&r, version, cols, p, forest_share, &forest);
    if (rc == VAE_CORRUPT) vae_set_error(err, errlen, "model is damaged (bad forest)");
  }
  if (rc == VAE_OK) {
    rc = read_split(&r, version, cols, p, lin.d > 0, &split);
    if (rc == VAE_CORRUPT) vae_set_error(err, errlen, "model is damaged (bad split linear part)");
  }
  if (rc == VAE_OK) rc = read_member(&r, version, depth, cols, p, &member, err, errlen);
  if (rc == VAE_OK) {
    /* at most one float per level string read: within the blob's size */
    marginal = vae_malloc(mem, (size_t)vae_encoded_width(cols, (int)p) * sizeof(float));
    rc = marginal ? read_modal(&r, version, cols, p, modal, marginal) : VAE_NOMEM;
    if (rc == VAE_CORRUPT) vae_set_error(err, errlen, "model is damaged (bad marginal columns)");
  }
  if (rc == VAE_OK) {
    rc = read_pulled(&r, version, cols, p, pulled);
    if (rc == VAE_CORRUPT) vae_set_error(err, errlen, "model is damaged (bad pulled columns)");
  }
  if (rc == VAE_OK) rc = make_model(mem, version, cols, p, &cfg, r.left, &m, err, errlen);
  if (rc == VAE_OK) {
    /* vae_model_alloc copied the columns whole: names, levels, statistics
    ** and quantiles. */
    memcpy(m->blend, blend, p * sizeof(float));
    m->lin = lin;
    memset(&lin, 0, sizeof lin);
    m->cal = cal;
    memset(&cal, 0, sizeof cal);
    memcpy(m->knn_share, knn_share, p * sizeof(float));
    memcpy(m->spread, spread, p * sizeof(float));
    m->knn = knn;
    memset(&knn, 0, sizeof knn);
    memcpy(m->forest_share, forest_share, p * sizeof(float));
    memcpy(m->modal, modal, p);
    memcpy(m->pulled, pulled, p);
    memcpy(m->marginal, marginal, (size_t)m->x_width * sizeof(float));
    m->forest = forest;
    memset(&forest, 0, sizeof forest);
    m->split = split;
    memset(&split, 0, sizeof split);
    m->member = member;
    member = NULL;
    m->cfg.members = m->member ? 2 : 1;
    rc = read_params(&r, version, m, err, errlen);
  }
  if (rc == VAE_OK && m->split.g.d) rc = vae_split_prepare(m, &m->split);
  if (rc == VAE_OK) rc = vae_knn_prepare(m, &m->knn); /* the reservoir's scores */
  if (rc == VAE_OK) rc = vae_expect_build(m); /* imputation's tables (expect.c) */
  vae_columns_free(mem, cols, (int)p);
  vae_free(mem, blend);
  vae_free(mem, knn_share);
  vae_free(mem, spread);
  vae_free(mem, forest_share);
  vae_free(mem, modal);
  vae_free(mem, pulled);
  vae_free(mem, marginal);
  vae_forest_free(mem, &forest);
  vae_knn_free(mem, &knn);
  vae_linear_free(mem, &lin);
  vae_split_free(mem, &split);
  vae_calibration_free(mem, &cal);
  vae_model_free(member);
  if (rc == VAE_OK) *out = m;
  else vae_model_free(m);
  return rc;
}
