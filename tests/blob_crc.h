/*
** blob_crc.h -- for tests that build or damage model blobs on purpose and
** need the checksum right, so that the reader's later checks are reached:
** core/blob.c's CRC-32, and its rewriting in a blob's last four bytes.
*/
#ifndef VAE_TEST_BLOB_CRC_H
#define VAE_TEST_BLOB_CRC_H

#include <stddef.h>
#include <stdint.h>

static uint32_t blob_crc32(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

static void blob_set_crc(unsigned char *blob, size_t len) {
  if (len < 4) return;
  uint32_t c = blob_crc32(blob, len - 4);
  for (int i = 0; i < 4; i++) blob[len - 4 + i] = (unsigned char)(c >> (8 * i));
}

#endif
