/*
** date.h -- dates and times as a column kind of their own.
**
** A date column is numeric in core/ (a real or integer column of days since
** 1970-01-01, UTC, no time zones) with a format code in vae_column.format
** that says how its values are written in SQL:
**   VAE_FMT_DATE        TEXT 'YYYY-MM-DD'           (an integer column)
**   VAE_FMT_MIN         TEXT 'YYYY-MM-DD HH:MM'
**   VAE_FMT_SEC         TEXT 'YYYY-MM-DD HH:MM:SS'
**   VAE_FMT_MS          TEXT 'YYYY-MM-DD HH:MM:SS.SSS'
**   | VAE_FMT_T         the same with 'T' between date and time
**   VAE_FMT_JULIAN      REAL julian day number (SQLite's julianday())
**   VAE_FMT_UNIX        INTEGER seconds since 1970-01-01 (unixepoch())
** Text is read in any of the ISO-8601 forms above (spaces around allowed),
** years 0000 to 9999, and written in the column's own form.
**
** The format value holds the code above in its low 5 bits and, above
** them, an origin: the first whole day of the column's values (plus
** 720000, so that it is never negative). Cells are days since the origin,
** so that float cells keep times to the second over half a year (a span of
** S days to S / 2^24 days).
*/
#ifndef VAE_DATE_H
#define VAE_DATE_H

#define VAE_FMT_DATE 1
#define VAE_FMT_MIN 2
#define VAE_FMT_SEC 3
#define VAE_FMT_MS 4
#define VAE_FMT_T 8
#define VAE_FMT_JULIAN 16
#define VAE_FMT_UNIX 17

/* The format value of a code and an origin (days since 1970-01-01). */
int vae_date_make(int code, long origin);
/* Its code, and its origin in days since 1970-01-01. */
int vae_date_code(int fmt);
double vae_date_origin(int fmt);
/* Is fmt a valid format value? (A blob may hold anything.) */
int vae_date_valid(int fmt);
/* Is it written as text? */
int vae_date_is_text(int fmt);
/* Parses ISO-8601 text s[0..n) into days since 1970-01-01; *fmt (may be
** NULL) receives its form. 1 on success, 0 when s is not such a date. */
int vae_date_parse(const char *s, int n, double *days, int *fmt);
/* days (since 1970-01-01, not the origin) as text in fmt (a text format)
** into buf of size >= 32. */
void vae_date_format(char *buf, int size, double days, int fmt);
/* A julian day or unix time (fmt) as days, and back. */
double vae_date_from_number(int fmt, double x);
double vae_date_to_number(int fmt, double days);
/* "date" (no time of day) or "datetime": the kind shown in reports. */
const char *vae_date_kind(int fmt);
/* How values are written: "YYYY-MM-DD", ..., "julian day", "unix seconds". */
const char *vae_date_form(int fmt);
/* SQL type of the values: TEXT, REAL or INTEGER. */
const char *vae_date_sqltype(int fmt);

#endif
