# mlbench's R server, run by mlbench/platforms/r.py as `Rscript --no-init-file r_server.R`: one JSON request
# per stdin line, one JSON answer per stdout line. Messages and warnings go to stderr (the platform log).

options(warn = 1, stringsAsFactors = FALSE)
suppressPackageStartupMessages({
  library(car)
  library(leaps)
  library(jsonlite)
})

state <- new.env()
state$models <- list()
state$next_id <- 0L

# Positions arrive 1-based from Python; R never sees mlbench's column names.
ints <- function(x) as.integer(unlist(x))
# Doubles go back as "%.17g" strings: exact round trips (jsonlite stops at 15 digits); NA/NaN/Inf spelled out.
num <- function(x) sprintf("%.17g", as.double(x))
nums <- function(x) I(num(unname(x)))

read_design <- function(path) {
  # the run's design is all numeric (dummy-coded, missing rows dropped)
  d <- utils::read.csv(path, check.names = FALSE, colClasses = "numeric")
  as.matrix(d)
}

model_frame <- function(X, cols, y = NULL) {
  d <- as.data.frame(X[, cols, drop = FALSE])
  names(d) <- sprintf("x%d", seq_along(cols))
  if (!is.null(y)) d$y <- y
  d
}

fit_lm <- function(cols, intercept = TRUE) {
  d <- model_frame(state$X, cols, state$y)
  if (intercept) return(lm(if (length(cols)) y ~ . else y ~ 1, data = d))
  lm(if (length(cols)) y ~ 0 + . else y ~ 0, data = d)  # through the origin: R's uncentred R² and F
}

h_hello <- function(req) {
  list(r_version = R.version.string,
       packages = lapply(c(car = "car", leaps = "leaps", jsonlite = "jsonlite"),
                         function(p) format(utils::packageVersion(p))),
       pid = Sys.getpid())
}

h_load <- function(req) {
  M <- read_design(req$path)
  state$feature_cols <- ints(req$feature_cols)
  state$X <- M[, state$feature_cols, drop = FALSE]
  state$y <- M[, req$target_col]
  state$X_test <- NULL
  if (!is.null(req$test_path)) {
    test <- read_design(req$test_path)
    state$X_test <- test[, ints(req$test_feature_cols), drop = FALSE]
  }
  state$models <- list()
  list(n = nrow(state$X), p = ncol(state$X), n_test = if (is.null(state$X_test)) 0L else nrow(state$X_test))
}

h_ols <- function(req) {
  cols <- ints(req$features)
  intercept <- is.null(req$intercept) || isTRUE(req$intercept)
  fit <- fit_lm(cols, intercept)
  s <- summary(fit)
  aliased <- unname(s$aliased)  # in coefficient order: intercept (if any), then cols
  offset <- if (intercept) 1L else 0L
  cm <- s$coefficients  # rows of the non-aliased terms only
  fs <- s$fstatistic  # NULL for an intercept-only (or empty) model
  list(terms = I(which(!aliased) - offset),  # 0 = intercept, j = j-th requested feature
       aliased = I(which(aliased) - offset),
       estimate = nums(cm[, 1]), std_error = nums(cm[, 2]), t_value = nums(cm[, 3]), p_value = nums(cm[, 4]),
       r_squared = num(s$r.squared), adj_r_squared = num(s$adj.r.squared),
       f_statistic = num(if (is.null(fs)) NA_real_ else fs[["value"]]),
       df_model = if (is.null(fs)) 0L else as.integer(fs[["numdf"]]),
       df_resid = fit$df.residual, rss = num(deviance(fit)), n_obs = length(residuals(fit)))
}

h_vif <- function(req) {
  cols <- ints(req$features)
  v <- car::vif(fit_lm(cols))  # numeric terms only: plain VIF (car's GVIF applies to factor terms)
  list(vif = nums(v[sprintf("x%d", seq_along(cols))]))
}

glm_family <- function(name) {
  switch(name, binomial = binomial(), poisson = poisson(), stop("unsupported GLM family: ", name))
}

# glm with R's defaults (glm.control: epsilon 1e-8 on the relative deviance change, maxit 25). Its warnings
# ("glm.fit: fitted probabilities numerically 0 or 1 occurred", "glm.fit: algorithm did not converge") are
# part of the answer: collected, muffled, and also written to the log.
fit_glm <- function(d, family) {
  said <- character()
  fit <- withCallingHandlers(
    glm(if (ncol(d) > 1) y ~ . else y ~ 1, family = glm_family(family), data = d),
    warning = function(w) {
      said <<- c(said, conditionMessage(w))
      message("glm warning: ", conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  list(fit = fit, warnings = unique(said))
}

h_glm <- function(req) {
  cols <- ints(req$features)
  g <- fit_glm(model_frame(state$X, cols, state$y), req$family)
  fit <- g$fit
  s <- summary(fit)
  aliased <- unname(s$aliased)  # in coefficient order: intercept, then cols
  cm <- s$coefficients  # rows of the non-aliased terms only
  V <- vcov(fit, complete = FALSE)  # the non-aliased terms' covariance, summary's cov.scaled
  list(terms = I(which(!aliased) - 1L), aliased = I(which(aliased) - 1L),
       estimate = nums(cm[, 1]), std_error = nums(cm[, 2]), z_value = nums(cm[, 3]), p_value = nums(cm[, 4]),
       deviance = num(fit$deviance), null_deviance = num(fit$null.deviance), aic = num(fit$aic),
       df_resid = fit$df.residual, n_obs = length(fit$y), iterations = fit$iter, converged = fit$converged,
       warnings = I(g$warnings), covariance = lapply(seq_len(nrow(V)), function(i) nums(V[i, ])))
}

# The model with its factors as R has them: each multi-column term's treatment-coded dummies become one factor
# again (level 0 = the baseline, level i = the i-th dummy), so lm/glm build the same columns from it and
# car::vif answers for the term: its GVIF (a plain VIF when every term has one column).
term_frame <- function(groups) {
  d <- data.frame(row.names = seq_len(nrow(state$X)))
  for (i in seq_along(groups)) {
    D <- state$X[, groups[[i]], drop = FALSE]
    d[[sprintf("t%d", i)]] <- if (length(groups[[i]]) == 1) D[, 1] else
      factor(as.vector(D %*% seq_len(ncol(D))), levels = 0:ncol(D))
  }
  d$y <- state$y
  d
}

# jsonlite makes a matrix of groups of equal length (one row each), a list otherwise
group_list <- function(groups) {
  if (is.matrix(groups)) lapply(seq_len(nrow(groups)), function(i) ints(groups[i, ])) else lapply(groups, ints)
}

gvif_of <- function(v, n) {
  g <- if (is.null(dim(v))) v else v[, "GVIF"]
  nums(g[sprintf("t%d", seq_len(n))])
}

h_gvif <- function(req) {
  groups <- group_list(req$groups)
  list(gvif = gvif_of(car::vif(lm(y ~ ., data = term_frame(groups))), length(groups)))
}

# car::vif on a glm: from the coefficient covariance of the fit (weighted by the IRLS weights), per column, or
# per term (GVIF) when the request groups columns into factor terms.
h_glm_vif <- function(req) {
  groups <- if (is.null(req$groups)) as.list(ints(req$features)) else group_list(req$groups)
  fit <- fit_glm(term_frame(groups), req$family)$fit
  list(vif = gvif_of(car::vif(fit), length(groups)))
}

h_subset <- function(req) {
  cols <- ints(req$features)
  method <- switch(req$method, best = "exhaustive", forward = "forward", backward = "backward",
                   stop("unknown subset method: ", req$method))
  X <- state$X[, cols, drop = FALSE]
  colnames(X) <- sprintf("x%d", seq_along(cols))
  fit <- leaps::regsubsets(x = X, y = state$y, method = method, nvmax = req$max_size, really.big = TRUE)
  s <- summary(fit)
  chosen <- s$which[, colnames(X), drop = FALSE]  # one row per size; the intercept column dropped
  list(sizes = I(as.integer(rowSums(chosen))),
       features = lapply(seq_len(nrow(chosen)), function(i) I(which(chosen[i, ]))),
       rss = nums(s$rss))
}

h_fit <- function(req) {
  d <- model_frame(state$X, seq_len(ncol(state$X)), state$y)
  model <- switch(req$family,
                  linear = lm(y ~ ., data = d, model = FALSE),
                  logistic = glm(y ~ ., family = binomial(), data = d, model = FALSE),
                  stop("unsupported model family: ", req$family))
  state$next_id <- state$next_id + 1L
  key <- sprintf("m%d", state$next_id)
  state$models[[key]] <- model
  list(model = key)
}

h_predict <- function(req) {
  model <- state$models[[req$model]]
  if (is.null(model)) stop("no model ", req$model, " in this R session")
  if (is.null(state$X_test)) stop("no test set loaded")
  newdata <- model_frame(state$X_test, seq_len(ncol(state$X_test)))
  p <- as.double(predict(model, newdata = newdata, type = "response"))
  writeBin(p, req$out, size = 8L, endian = "little")
  list(n = length(p))
}

h_release <- function(req) {
  state$models[[req$model]] <- NULL
  list(released = req$model)
}

handlers <- list(hello = h_hello, load = h_load, ols = h_ols, vif = h_vif, gvif = h_gvif, subset = h_subset,
                 glm = h_glm, glm_vif = h_glm_vif,
                 fit = h_fit, predict = h_predict, release = h_release)

answer <- function(req) {
  handler <- handlers[[req$task]]
  if (is.null(handler)) stop("unknown task: ", req$task)
  noise <- utils::capture.output(result <- handler(req))  # stray printing goes to the log, not the protocol
  if (length(noise)) message(paste(noise, collapse = "\n"))
  list(ok = TRUE, result = result)
}

input <- file("stdin", open = "r")
repeat {
  line <- readLines(input, n = 1L, warn = FALSE)
  if (length(line) == 0L) break
  req <- tryCatch(jsonlite::fromJSON(line, simplifyVector = TRUE), error = function(e) NULL)
  if (!is.null(req) && identical(req$task, "quit")) break
  out <- if (is.null(req)) list(ok = FALSE, error = "malformed request") else
    tryCatch(answer(req), error = function(e) list(ok = FALSE, error = conditionMessage(e)))
  cat(jsonlite::toJSON(out, auto_unbox = TRUE, na = "string", null = "null"), "\n", sep = "")
  flush(stdout())
}
