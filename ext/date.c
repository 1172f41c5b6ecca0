/*
** date.c -- ISO-8601 dates and times, julian days and unix times as days
** since 1970-01-01 (proleptic Gregorian calendar, UTC); see date.h.
*/
#include "date.h"
#include "ext.h"

#include <math.h>
#include <string.h>

#define JULIAN_1970 2440587.5

#define ORIGIN_BIAS 720000L   /* a little more than 0000-01-01's -719528 */
#define ORIGIN_MAX 3660000L   /* a little more than 9999-12-31's 2932896 + bias */

int vae_date_make(int code, long origin) {
  if (origin < -ORIGIN_BIAS) origin = -ORIGIN_BIAS;
  if (origin > ORIGIN_MAX - ORIGIN_BIAS) origin = ORIGIN_MAX - ORIGIN_BIAS;
  return (int)((origin + ORIGIN_BIAS) << 5) | code;
}

int vae_date_code(int fmt) { return fmt & 31; }

double vae_date_origin(int fmt) { return (double)((long)(fmt >> 5) - ORIGIN_BIAS); }

int vae_date_valid(int fmt) {
  if (fmt < 0 || (long)(fmt >> 5) > ORIGIN_MAX) return 0;
  switch (fmt & 31) {
    case VAE_FMT_DATE: case VAE_FMT_MIN: case VAE_FMT_SEC: case VAE_FMT_MS:
    case VAE_FMT_T | VAE_FMT_MIN: case VAE_FMT_T | VAE_FMT_SEC: case VAE_FMT_T | VAE_FMT_MS:
    case VAE_FMT_JULIAN: case VAE_FMT_UNIX:
      return 1;
    default:
      return 0;
  }
}

int vae_date_is_text(int fmt) {
  return vae_date_valid(fmt) && (fmt & 31) != VAE_FMT_JULIAN && (fmt & 31) != VAE_FMT_UNIX;
}

/* Days from 1970-01-01 to y-m-d: whole 400-year eras of 146097 days, then
** the year of the era counted from March, so that a leap day ends it. */
static long long days_from_date(long long y, int m, int d) {
  long long era, yoe, doy, doe;
  if (m <= 2) y--;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* The inverse of days_from_date. */
static void date_from_days(long long z, long long *y, int *m, int *d) {
  long long era, doe, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n, int at, int count, int *out) {
  int i, v = 0;
  if (at + count > n) return 0;
  for (i = 0; i < count; i++) {
    char c = s[at + i];
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return 1;
}

int vae_date_parse(const char *s, int n, double *days, int *fmt) {
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int a = 0, b = n, y, m, d, hh = 0, mi = 0, ss = 0, f = VAE_FMT_DATE, at;
  double frac = 0;
  while (a < b && s[a] == ' ') a++;
  while (b > a && s[b - 1] == ' ') b--;
  s += a;
  n = b - a;
  if (n < 10 || !digits(s, n, 0, 4, &y) || s[4] != '-' || !digits(s, n, 5, 2, &m) ||
      s[7] != '-' || !digits(s, n, 8, 2, &d))
    return 0;
  if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return 0;
  if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return 0;
  at = 10;
  if (n > 10) {
    if (s[10] != ' ' && s[10] != 'T') return 0;
    if (s[10] == 'T') f |= VAE_FMT_T;
    if (!digits(s, n, 11, 2, &hh) || s[13] != ':' || !digits(s, n, 14, 2, &mi)) return 0;
    f = (f & VAE_FMT_T) | VAE_FMT_MIN;
    at = 16;
    if (at < n) {
      if (s[at] != ':' || !digits(s, n, at + 1, 2, &ss)) return 0;
      f = (f & VAE_FMT_T) | VAE_FMT_SEC;
      at += 3;
      if (at < n) {
        double scale = 0.1;
        if (s[at] != '.' || at + 1 >= n) return 0;
        for (at++; at < n; at++, scale /= 10) {
          if (s[at] < '0' || s[at] > '9') return 0;
          frac += (s[at] - '0') * scale;
        }
        f = (f & VAE_FMT_T) | VAE_FMT_MS;
      }
    }
    if (hh > 23 || mi > 59 || ss > 59) return 0;
  }
  *days = (double)days_from_date(y, m, d) + (hh * 3600.0 + mi * 60.0 + ss + frac) / 86400.0;
  if (fmt) *fmt = f;
  return 1;
}

void vae_date_format(char *buf, int size, double days, int fmt) {
  /* Rounded to the unit of the format first, so that 23:59:59.9996 is
  ** the next day's 00:00:00.000. */
  int prec = fmt & 31 & ~VAE_FMT_T;
  double unit = prec == VAE_FMT_DATE ? 86400000.0 : prec == VAE_FMT_MIN ? 60000.0
                : prec == VAE_FMT_SEC ? 1000.0 : 1.0;
  long long ms = (long long)(floor(days * 86400000.0 / unit + 0.5) * unit), z, y;
  long long in_day;
  int m, d;
  char sep = (fmt & VAE_FMT_T) ? 'T' : ' ';
  z = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  in_day = ms - z * 86400000;
  date_from_days(z, &y, &m, &d);
  if (y < 0) y = 0;
  if (y > 9999) y = 9999;
  switch (prec) {
    case VAE_FMT_DATE:
      sqlite3_snprintf(size, buf, "%04d-%02d-%02d", (int)y, m, d);
      break;
    case VAE_FMT_MIN:
      sqlite3_snprintf(size, buf, "%04d-%02d-%02d%c%02d:%02d", (int)y, m, d, sep,
                       (int)(in_day / 3600000), (int)(in_day / 60000 % 60));
      break;
    case VAE_FMT_SEC:
      sqlite3_snprintf(size, buf, "%04d-%02d-%02d%c%02d:%02d:%02d", (int)y, m, d, sep,
                       (int)(in_day / 3600000), (int)(in_day / 60000 % 60),
                       (int)(in_day / 1000 % 60));
      break;
    default:
      sqlite3_snprintf(size, buf, "%04d-%02d-%02d%c%02d:%02d:%02d.%03d", (int)y, m, d, sep,
                       (int)(in_day / 3600000), (int)(in_day / 60000 % 60),
                       (int)(in_day / 1000 % 60), (int)(in_day % 1000));
      break;
  }
}

double vae_date_from_number(int fmt, double x) {
  return (fmt & 31) == VAE_FMT_JULIAN ? x - JULIAN_1970 : x / 86400.0;
}

double vae_date_to_number(int fmt, double days) {
  return (fmt & 31) == VAE_FMT_JULIAN ? days + JULIAN_1970 : days * 86400.0;
}

const char *vae_date_kind(int fmt) {
  return (fmt & 31) == VAE_FMT_DATE ? "date" : "datetime";
}

const char *vae_date_form(int fmt) {
  switch (fmt & 31) {
    case VAE_FMT_DATE: return "YYYY-MM-DD";
    case VAE_FMT_MIN: return "YYYY-MM-DD HH:MM";
    case VAE_FMT_SEC: return "YYYY-MM-DD HH:MM:SS";
    case VAE_FMT_MS: return "YYYY-MM-DD HH:MM:SS.SSS";
    case VAE_FMT_T | VAE_FMT_MIN: return "YYYY-MM-DDTHH:MM";
    case VAE_FMT_T | VAE_FMT_SEC: return "YYYY-MM-DDTHH:MM:SS";
    case VAE_FMT_T | VAE_FMT_MS: return "YYYY-MM-DDTHH:MM:SS.SSS";
    case VAE_FMT_JULIAN: return "julian day";
    default: return "unix seconds";
  }
}

const char *vae_date_sqltype(int fmt) {
  return (fmt & 31) == VAE_FMT_JULIAN ? "REAL" : (fmt & 31) == VAE_FMT_UNIX ? "INTEGER" : "TEXT";
}
