/*
** version.h -- the version of vae, in one place.
**
** VAE_VERSION is a semantic version (MAJOR.MINOR.PATCH). Everything else
** takes it from here: vae_version() in SQL, the writer field of every model
** blob (core/blob.c), the Makefile (`make version`), the Python package
** (setup.py reads this line) and the npm package, whose package.json must
** say the same (tests/packages.sh and its prepack step check that).
** CHANGELOG.md says what each version changed.
*/
#ifndef VAE_VERSION_H
#define VAE_VERSION_H

#define VAE_VERSION "0.1.0"

/* The model blob format this build writes (core/blob.c; it reads every
** format from 2 on). tests/fuzz_blob.c and tests/packages.sh read it here. */
#define VAE_BLOB_FORMAT 21u

#endif
