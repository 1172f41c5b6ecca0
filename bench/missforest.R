# missForest (Stekhoven and Buehlmann, 2012: iterative imputation by random
# forests), written here over the ranger package because Debian has no
# r-cran-missforest. Same input as bench/mice.R:
#
#   Rscript bench/missforest.R jobs.tsv
#
# The algorithm, as in the paper:
#   1. fill every missing cell with its column's mean (numeric) or most
#      frequent level (categorical);
#   2. visit the columns with missing cells in increasing order of their
#      number of missing cells; for each, fit a random forest (100 trees,
#      mtry = floor(sqrt(columns - 1))) on the rows where the column is
#      observed, with the current fill of the others as predictors, and
#      predict its missing cells;
#   3. after each sweep compute the change
#        numeric:     sum (new - old)^2 / sum new^2   over numeric columns
#        categorical: share of missing categorical cells whose level changed
#      stop as soon as the change grows, for every kind present, and return
#      the previous sweep's fill; at most 10 sweeps.
# Forests grow on one thread (num.threads = 1; ranger's default is every
# core), as the vae fits on one in bench/impute.py: the times compare one
# core each.

suppressPackageStartupMessages(library(ranger))

args <- commandArgs(trailingOnly = TRUE)
jobs <- read.delim(args[1], stringsAsFactors = FALSE, colClasses = "character")

mode_of <- function(x) names(which.max(table(x)))

missforest <- function(data, seed, maxiter = 10, ntree = 100) {
  miss <- is.na(data)
  ximp <- data
  for (col in names(data)) {
    m <- miss[, col]
    if (!any(m)) next
    if (is.factor(data[[col]])) ximp[[col]][m] <- mode_of(data[[col]][!m])
    else ximp[[col]][m] <- mean(data[[col]][!m])
  }
  counts <- colSums(miss)
  visit <- names(data)[order(counts)][sort(counts) > 0]
  is_cat <- sapply(data, is.factor)
  has_num <- any(!is_cat & colSums(miss) > 0)
  has_cat <- any(is_cat & colSums(miss) > 0)
  mtry <- max(1, floor(sqrt(ncol(data) - 1)))
  prev_num <- Inf
  prev_cat <- Inf
  for (iter in seq_len(maxiter)) {
    old <- ximp
    for (col in visit) {
      m <- miss[, col]
      fit <- ranger(dependent.variable.name = col, data = ximp[!m, , drop = FALSE],
                    num.trees = ntree, mtry = mtry, seed = seed + iter,
                    respect.unordered.factors = "order", num.threads = 1)
      ximp[[col]][m] <- predict(fit, ximp[m, , drop = FALSE])$predictions
    }
    d_num <- d_cat <- 0
    if (has_num) {
      cols <- names(data)[!is_cat]
      new <- as.matrix(ximp[cols])
      d_num <- sum((new - as.matrix(old[cols]))^2) / sum(new^2)
    }
    if (has_cat) {
      cols <- names(data)[is_cat]
      changed <- sum(sapply(cols, function(c)
        sum(as.character(ximp[[c]]) != as.character(old[[c]]))))
      d_cat <- changed / sum(miss[, cols])
    }
    grew <- (!has_num || d_num >= prev_num) && (!has_cat || d_cat >= prev_cat)
    if (grew) return(old)
    prev_num <- d_num
    prev_cat <- d_cat
  }
  ximp
}

for (i in seq_len(nrow(jobs))) {
  job <- jobs[i, ]
  data <- read.csv(job$input, na.strings = "", check.names = FALSE,
                   stringsAsFactors = FALSE)
  cats <- if (job$categorical == "-") character(0) else
    strsplit(job$categorical, ",", fixed = TRUE)[[1]]
  for (col in cats) data[[col]] <- factor(data[[col]])
  t0 <- proc.time()[["elapsed"]]
  res <- tryCatch(missforest(data, as.integer(job$seed)),
                  error = function(e) e)
  secs <- proc.time()[["elapsed"]] - t0
  if (inherits(res, "error")) {
    writeLines(conditionMessage(res), paste0(job$output, ".error"))
    next
  }
  write.csv(res, job$output, row.names = FALSE, na = "")
  writeLines(format(secs, digits = 6), paste0(job$output, ".seconds"))
}
