# R mice (van Buuren and Groothuis-Oudshoorn) on the masked tables that
# bench/impute.py writes; called once per run:
#
#   Rscript bench/mice.R jobs.tsv
#
# jobs.tsv has a header and one line per table: input CSV (empty cell =
# missing), output CSV, categorical columns (comma-separated, "-" for none),
# seed. For each input it runs mice with its defaults (m = 5 imputations,
# maxit = 5; pmm for numeric columns, logreg for two-level factors, polyreg
# for more levels) and writes one completed table: the mean of the m
# imputations for a numeric cell, the most frequent level for a categorical
# one. The seconds spent in mice and pooling (R's start-up excluded) go to
# <output>.seconds; an error message, if any, to <output>.error.

suppressPackageStartupMessages(library(mice))

args <- commandArgs(trailingOnly = TRUE)
jobs <- read.delim(args[1], stringsAsFactors = FALSE, colClasses = "character")

pool_point <- function(imp, data) {
  out <- data
  sets <- lapply(seq_len(imp$m), function(i) complete(imp, i))
  for (col in names(data)) {
    miss <- is.na(data[[col]])
    if (!any(miss)) next
    vals <- sapply(sets, function(s) as.character(s[[col]][miss]))
    vals <- matrix(vals, nrow = sum(miss))
    if (is.factor(data[[col]])) {
      pick <- apply(vals, 1, function(v) names(which.max(table(v))))
      out[[col]] <- as.character(out[[col]])
      out[[col]][miss] <- pick
    } else {
      num <- matrix(as.numeric(vals), nrow = sum(miss))
      out[[col]][miss] <- rowMeans(num)
    }
  }
  out
}

for (i in seq_len(nrow(jobs))) {
  job <- jobs[i, ]
  data <- read.csv(job$input, na.strings = "", check.names = FALSE,
                   stringsAsFactors = FALSE)
  cats <- if (job$categorical == "-") character(0) else
    strsplit(job$categorical, ",", fixed = TRUE)[[1]]
  for (col in cats) data[[col]] <- factor(data[[col]])
  t0 <- proc.time()[["elapsed"]]
  res <- tryCatch({
    imp <- mice(data, m = 5, maxit = 5, seed = as.integer(job$seed),
                printFlag = FALSE)
    pool_point(imp, data)
  }, error = function(e) e)
  secs <- proc.time()[["elapsed"]] - t0
  if (inherits(res, "error")) {
    writeLines(conditionMessage(res), paste0(job$output, ".error"))
    next
  }
  write.csv(res, job$output, row.names = FALSE, na = "")
  writeLines(format(secs, digits = 6), paste0(job$output, ".seconds"))
}
